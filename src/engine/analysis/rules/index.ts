/** Every Keras layer class the analysis knows, by class name. */
import { attentionRules } from './attention';
import { convRules } from './conv';
import { coreRules } from './core';
import { einsumRules } from './einsum';
import { mergeRules } from './merge';
import { poolingRules } from './pooling';
import { recurrentRules } from './recurrent';
import { reshapingRules } from './reshaping';
import type { LayerRule, RuleTable } from './types';
import { wrapperRules } from './wrappers';

const table: RuleTable = {
  ...coreRules,
  ...convRules,
  ...poolingRules,
  ...reshapingRules,
  ...recurrentRules,
  ...mergeRules,
  ...attentionRules,
  ...einsumRules,
};
Object.assign(table, wrapperRules(ruleFor));

/** The rule of a layer class; undefined when the analysis has none (the caller reports it). */
export function ruleFor(className: string): LayerRule | undefined {
  return Object.hasOwn(table, className) ? table[className] : undefined;
}

export type { LayerRule } from './types';
