/** The hyper-parameters tab: visible runs side by side, differing values highlighted, optionally only those. */
import type { RunView } from '../../src/protocol/monitorView';
import { h } from '../shared/ui';
import { checkbox } from './controls';
import { formatHyperValue, hparamRows, splitByHparams, type HparamRow } from './hparamRows';

const MAX_ROWS = 1000;
const MAX_VALUE_CHARACTERS = 300;

function valueCell(value: HparamRow['values'][number], standsOut: boolean): HTMLElement {
  const text = formatHyperValue(value);
  const shown = text.length > MAX_VALUE_CHARACTERS ? `${text.slice(0, MAX_VALUE_CHARACTERS)}…` : text;
  const attributes: Record<string, string> = { class: `hparam-value${standsOut ? ' differs' : ''}${value === undefined ? ' missing' : ''}` };
  if (shown !== text || text.length > 40) attributes.title = text.slice(0, 4 * MAX_VALUE_CHARACTERS);
  return h('td', attributes, shown);
}

export class HparamsTable {
  readonly element: HTMLElement;
  private readonly body = h('div', { class: 'hparams-body' });
  private onlyDiffering = false;
  private runs: RunView[] = [];

  constructor() {
    const only = checkbox('Only differing', false, 'hparams-only-differing', (checked) => {
      this.onlyDiffering = checked;
      this.render();
    });
    this.element = h('div', { class: 'tab-content scroll hparams' }, h('div', { class: 'toolbar' }, only.element), this.body);
  }

  /** Shows these runs (the visible ones), in order. */
  update(runs: RunView[]): void {
    this.runs = runs;
    this.render();
  }

  private render(): void {
    const { stated: runs, none } = splitByHparams(this.runs);
    const rows = hparamRows(runs);
    if (runs.length === 0) {
      this.body.replaceChildren(h('p', { class: 'empty-state', 'data-testid': 'hparams-empty' }, this.runs.length === 0 ? 'No run is visible.' : 'The visible runs state no hyper-parameters.'));
      return;
    }
    const withoutNote = none.length > 0 ? h('p', { class: 'muted' }, `No hyper-parameters in the logs of ${none.map((run) => run.name).join(', ')}.`) : null;
    const shown = (this.onlyDiffering ? rows.filter((row) => row.differs) : rows).slice(0, MAX_ROWS);
    const header = h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'Parameter'),
      ...runs.map((run) => {
        const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
        swatch.style.setProperty('--run-colour', run.colour);
        return h('th', { scope: 'col', title: run.path }, h('span', { class: 'run-heading' }, swatch, run.name));
      }),
    );
    const body = shown.map((row) =>
      h('tr', { 'data-testid': 'hparam-row', 'data-differs': String(row.differs) }, h('th', { scope: 'row' }, row.key), ...row.values.map((value, index) => valueCell(value, row.standsOut[index] ?? false))),
    );
    const hiddenCount = (this.onlyDiffering ? rows.filter((row) => row.differs).length : rows.length) - shown.length;
    const differing = rows.filter((row) => row.differs).length;
    this.body.replaceChildren(
      ...[
      h('p', { class: 'muted hparams-summary' }, runs.length > 1 ? `${rows.length} parameter${rows.length === 1 ? '' : 's'}, ${differing} differ${differing === 1 ? 's' : ''} between the runs.` : `${rows.length} parameter${rows.length === 1 ? '' : 's'}.`),
      shown.length > 0
        ? h('table', { class: 'hparams-table', 'data-testid': 'hparams-table' }, h('thead', {}, header), h('tbody', {}, ...body))
        : h('p', { class: 'empty-state' }, 'All visible runs share the same values.'),
      hiddenCount > 0 ? h('p', { class: 'muted' }, `${hiddenCount} more not shown.`) : null,
      withoutNote,
      ].filter((part): part is HTMLElement => part !== null),
    );
  }
}
