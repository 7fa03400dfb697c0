/** The hyper-parameters tab's rows: runs side by side, one row per key, flagged where the runs differ. */
import type { HyperParameters } from '../../src/protocol/monitor';

export type HyperValue = HyperParameters[string];

export interface HparamRow {
  key: string;
  /** One per run, in the runs' order; undefined where a run does not have the key. */
  values: Array<HyperValue | undefined>;
  /** Whether the runs disagree (a key only some runs have counts as a difference). */
  differs: boolean;
  /**
   * Per value: whether it stands out. Where most runs share a value, the
   * others stand out; where no value is the most common, all do.
   */
  standsOut: boolean[];
}

function standingOut(identities: string[]): boolean[] {
  const counts = new Map<string, number>();
  for (const id of identities) counts.set(id, (counts.get(id) ?? 0) + 1);
  if (counts.size <= 1) return identities.map(() => false);
  const top = Math.max(...counts.values());
  const leaders = [...counts].filter(([, count]) => count === top);
  const common = top > 1 && leaders.length === 1 ? leaders[0]?.[0] : undefined;
  return identities.map((id) => id !== common);
}

/** Values compare by type and value: `1` and `'1'` differ, `null` and a missing key differ. */
function identity(value: HyperValue | undefined): string {
  return value === undefined ? 'undefined' : `${typeof value}:${String(value)}`;
}

const collator = new Intl.Collator('en', { numeric: true });

/** The union of the runs' keys, sorted (numbers in keys by value: `layer2` before `layer10`). */
export function hparamRows(runs: ReadonlyArray<{ hparams: HyperParameters }>): HparamRow[] {
  const keys = new Set<string>();
  for (const run of runs) for (const key of Object.keys(run.hparams ?? {})) keys.add(key);
  return [...keys]
    .sort((a, b) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => {
      const values = runs.map((run) => (Object.prototype.hasOwnProperty.call(run.hparams ?? {}, key) ? run.hparams[key] : undefined));
      const identities = values.map(identity);
      return { key, values, differs: new Set(identities).size > 1, standsOut: standingOut(identities) };
    });
}

/**
 * Splits runs into those that state hyper-parameters (the table's columns)
 * and those that state none: a run whose log has no settings would make
 * every key look different.
 */
export function splitByHparams<Run extends { hparams: HyperParameters }>(runs: readonly Run[]): { stated: Run[]; none: Run[] } {
  const stated: Run[] = [];
  const none: Run[] = [];
  for (const run of runs) (run.hparams && Object.keys(run.hparams).length > 0 ? stated : none).push(run);
  return { stated, none };
}

/** A value as the table shows it: strings as written, numbers and booleans as JSON would. */
export function formatHyperValue(value: HyperValue | undefined): string {
  if (value === undefined) return '—';
  if (value === null) return 'null';
  return String(value);
}
