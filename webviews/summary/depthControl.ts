/** The "Depth" dropdown the layer table and the graph share. */
import { dropdown, type Control } from '../shared/ui';
import type { PageContext } from './context';

/** Encodes the depth for the dropdown: "all" for every level. */
export function depthValue(depth: number | null): string {
  return depth === null ? 'all' : String(depth);
}

/** A dropdown "All levels / Top level only / Depth 1 … N"; null when nothing is nested. */
export function depthControl(context: PageContext, maxDepth: number): Control | null {
  if (maxDepth <= 0) return null;
  const choices = [
    { value: 'all', label: 'All levels' },
    { value: '0', label: 'Top level only' },
    ...Array.from({ length: maxDepth - 1 }, (_, index) => ({ value: String(index + 1), label: `Down to depth ${index + 1}` })),
  ];
  return dropdown({
    label: 'Nesting depth',
    value: depthValue(context.view.depth),
    choices,
    onChange: (value) => context.setDepth(value === 'all' ? null : Number(value)),
  });
}
