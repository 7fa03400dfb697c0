/** The run panel: input options and the Run button, then the run's timings, shapes, outputs and per-layer statistics. */
import type { InputKind, OutputPreview, RunResult } from '../../src/protocol/model';
import type { SummaryViewState } from '../../src/protocol/summaryView';
import { button, dropdown, facts, h, progressRing, setDisabled, setInvalid, textField, type Child } from '../shared/ui';
import type { PageContext } from './context';
import { formatBytes, formatInteger, formatMs, formatOutputShapes, formatShape, formatStat } from './format';
import { hasUnknownNonBatchDims, runRows, type RunRow } from './runData';
import { RUN_LIMITS, parseBoundedInteger } from './viewState';
import { VirtualTable } from './virtualTable';

const INPUT_CHOICES: Array<{ value: InputKind; label: string }> = [
  { value: 'uniform', label: 'Uniform random' },
  { value: 'normal', label: 'Normal random' },
  { value: 'zeros', label: 'Zeros' },
];

const PREVIEW_VALUES = 10;

function runKey(run: SummaryViewState['run']): string {
  if (!run) return '';
  const result = run.result;
  return [run.status, run.error ?? '', result ? `${result.backend} ${result.rebuildMs} ${result.firstMs} ${result.warmMs} ${result.layers.length}` : ''].join('\u0000');
}

function shapeList(shapes: number[][]): string {
  return shapes.map((shape) => formatShape(shape)).join(', ');
}

function flags(nan: number, inf: number): Child[] {
  return [nan > 0 ? h('span', { class: 'flag' }, `${formatInteger(nan)} NaN`) : null, inf > 0 ? h('span', { class: 'flag' }, `${formatInteger(inf)} Inf`) : null];
}

function outputPreview(output: OutputPreview): HTMLElement {
  const values = output.values.slice(0, PREVIEW_VALUES).map(formatStat).join(', ');
  const more = output.values.length > PREVIEW_VALUES ? ', …' : '';
  const top = output.top5?.length
    ? h(
        'table',
        { class: 'grid top5', 'aria-label': `Top ${output.top5.length} of ${output.name}` },
        h('tr', {}, h('th', { scope: 'col' }, 'Class'), h('th', { scope: 'col' }, 'Probability'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Bar'))),
        ...output.top5.map(({ index, value }) => {
          const bar = h('span', { class: 'probability-bar', 'aria-hidden': 'true' });
          bar.style.width = `${Math.max(0, Math.min(1, value)) * 100}%`;
          return h('tr', {}, h('td', {}, `#${index}`), h('td', { class: 'align-right' }, `${(value * 100).toFixed(2)}%`), h('td', { class: 'bar-cell' }, bar));
        }),
      )
    : null;
  return h(
    'div',
    { class: 'output-preview' },
    h('div', {}, h('strong', {}, output.name), ' ', h('code', {}, formatShape(output.shape))),
    h('div', { class: 'muted' }, 'First values of the first sample: ', h('code', {}, `[${values}${more}]`)),
    top,
  );
}

export class RunTab {
  readonly element: HTMLElement;
  private readonly runButton: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly results: HTMLElement;
  private readonly batchField: HTMLElement;
  private readonly dimField: HTMLElement;
  private readonly runnable: boolean;
  /** What the shown result came from; each host message is a fresh copy, so compare contents. */
  private lastRunKey: string | null = null;
  private layerTable: VirtualTable<RunRow> | undefined;

  constructor(private readonly context: PageContext) {
    const { summary, view } = context;
    this.runnable = summary.unsupportedLayers.length === 0;
    const input = dropdown({
      label: 'Input values',
      value: view.run.input,
      choices: INPUT_CHOICES,
      testId: 'run-input',
      onChange: (value) => {
        view.run.input = INPUT_CHOICES.some((choice) => choice.value === value) ? (value as InputKind) : view.run.input;
        context.save();
      },
    });
    this.batchField = textField({
      label: 'Batch size',
      value: String(view.run.batchSize),
      size: 6,
      testId: 'run-batch',
      onInput: (value) => this.onNumber('batchSize', value),
    });
    this.dimField = textField({
      label: 'Other unknown dimensions',
      value: String(view.run.unknownDim),
      size: 6,
      testId: 'run-unknown-dim',
      onInput: (value) => this.onNumber('unknownDim', value),
    });
    this.dimField.hidden = !hasUnknownNonBatchDims(summary.inputs) && summary.inputs.length > 0;
    this.runButton = button('Run', () => this.run(), { appearance: 'primary', testId: 'run-button', disabled: !this.runnable });
    this.progress = h('div', { class: 'run-progress', role: 'status', 'aria-live': 'polite' });
    this.results = h('div', { class: 'run-results' });
    this.element = h(
      'div',
      { class: 'tab-content scroll' },
      h(
        'p',
        { class: 'muted' },
        this.runnable
          ? 'Runs the model in TensorFlow.js on generated input: one cold pass, then a warm one, recording every layer. Nothing leaves this machine.'
          : `The model cannot run in TensorFlow.js (${summary.unsupportedLayers.join(', ')}); the static summary is complete.`,
      ),
      h('div', { class: 'toolbar run-form' }, input.element, this.batchField, this.dimField, this.runButton),
      this.progress,
      this.results,
    );
    this.element.addEventListener('scroll', () => {
      view.scroll.run = this.element.scrollTop;
      context.save();
    });
    this.update();
  }

  private onNumber(field: 'batchSize' | 'unknownDim', text: string): void {
    const limits = RUN_LIMITS[field];
    const value = parseBoundedInteger(text, limits.min, limits.max);
    const element = field === 'batchSize' ? this.batchField : this.dimField;
    setInvalid(element, value === undefined ? `A whole number from ${limits.min} to ${formatInteger(limits.max)}` : '');
    if (value !== undefined) {
      this.context.view.run[field] = value;
      this.context.save();
    }
    this.updateButton();
  }

  private inputsValid(): boolean {
    return !this.batchField.classList.contains('invalid') && (this.dimField.hidden || !this.dimField.classList.contains('invalid'));
  }

  private updateButton(): void {
    const running = this.context.state().run?.status === 'running';
    setDisabled(this.runButton, !this.runnable || running || !this.inputsValid());
  }

  private run(): void {
    if (!this.inputsValid()) return;
    this.context.post({ type: 'run', options: { ...this.context.view.run } });
  }

  /** Shows the host's run state: progress, error or result. */
  update(): void {
    const run = this.context.state().run;
    this.updateButton();
    const key = runKey(run);
    if (key === this.lastRunKey) return;
    this.lastRunKey = key;
    // Results of an earlier run stay, dimmed, until the new ones arrive.
    this.results.classList.toggle('stale', run?.status === 'running');
    if (run?.status === 'running') {
      this.progress.replaceChildren(progressRing('Running the model'), h('span', {}, 'Running the model…'));
      return;
    }
    this.progress.replaceChildren();
    if (run?.status === 'failed') {
      this.results.replaceChildren(
        h('div', { class: 'banner error', role: 'alert' }, h('strong', {}, 'The run failed. '), h('span', { 'data-testid': 'run-error' }, run.error ?? 'No reason was given.')),
      );
    } else if (run?.status === 'ready' && run.result) {
      this.results.replaceChildren(...this.renderResult(run.result));
      this.layerTable?.setRows(runRows(this.context.summary.layers, run.result.layers));
    } else {
      this.results.replaceChildren();
    }
  }

  private renderResult(result: RunResult): HTMLElement[] {
    const options = result.options;
    const summaryFacts = facts([
      ['Backend', h('span', { 'data-testid': 'run-backend' }, result.backend)],
      ['Input', `${options.input}, batch ${options.batchSize}${hasUnknownNonBatchDims(this.context.summary.inputs) ? `, other unknown dimensions ${options.unknownDim}` : ''}`],
      ['Input shapes', h('code', {}, shapeList(result.inputShapes))],
      ['Output shapes', h('code', { 'data-testid': 'run-output-shape' }, shapeList(result.outputShapes))],
      ['Rebuild', formatMs(result.rebuildMs)],
      ['First pass', formatMs(result.firstMs)],
      ['Warm pass', formatMs(result.warmMs)],
      ['Peak activation memory', formatBytes(result.peakActivationBytes)],
    ]);
    const parts: HTMLElement[] = [
      h(
        'div',
        { class: 'run-overview' },
        h('section', { 'aria-label': 'Run result' }, h('h2', {}, 'Result'), summaryFacts),
        result.outputs.length ? h('section', { 'aria-label': 'Outputs' }, h('h2', {}, 'Outputs'), ...result.outputs.map(outputPreview)) : null,
      ),
    ];
    if (result.warnings.length) parts.push(h('ul', { class: 'run-warnings' }, ...result.warnings.map((warning) => h('li', {}, warning))));
    if (result.layers.length) {
      this.layerTable = this.createLayerTable();
      const container = h('div', { class: 'run-layers' }, this.layerTable.element);
      // Tall enough for every row up to a limit; beyond it the table scrolls on its own.
      container.style.height = `${Math.min(440, 30 + (result.layers.length + 1) * 26)}px`;
      parts.push(h('h2', {}, 'Layers'), container);
    } else {
      this.layerTable = undefined;
    }
    return parts;
  }

  private createLayerTable(): VirtualTable<RunRow> {
    const stat = (pick: (row: RunRow) => number) => (row: RunRow) => formatStat(pick(row));
    return new VirtualTable<RunRow>({
      columns: [
        { key: 'name', label: 'Layer', cell: (row) => row.name, title: (row) => `${row.name}${row.className ? ` (${row.className})` : ''}` },
        {
          key: 'shape',
          label: 'Output shape',
          width: 170,
          cell: (row) => h('code', {}, shapeList(row.run.outputShapes)),
          cellClass: (row) => (row.agrees ? undefined : 'flag-cell'),
          title: (row) => (row.agrees ? undefined : `Differs from the static shape ${formatOutputShapes(row.staticShapes)}`),
        },
        { key: 'first', label: 'First ms', width: 80, align: 'right', cell: (row) => row.run.firstMs.toFixed(2) },
        { key: 'warm', label: 'Warm ms', width: 80, align: 'right', cell: (row) => row.run.warmMs.toFixed(2) },
        { key: 'mean', label: 'Mean', width: 80, align: 'right', cell: stat((row) => row.run.stats.mean) },
        { key: 'std', label: 'Std', width: 80, align: 'right', cell: stat((row) => row.run.stats.std) },
        { key: 'min', label: 'Min', width: 80, align: 'right', cell: stat((row) => row.run.stats.min) },
        { key: 'max', label: 'Max', width: 80, align: 'right', cell: stat((row) => row.run.stats.max) },
        { key: 'zeros', label: 'Zeros', width: 70, align: 'right', cell: (row) => `${(row.run.stats.zeros * 100).toFixed(1)}%` },
        { key: 'flags', label: 'NaN/Inf', width: 110, cell: (row) => flags(row.run.stats.nan, row.run.stats.inf) },
      ],
      rowHeight: 26,
      label: 'Per-layer run results',
      testId: 'run-layer-table',
      rowTestId: 'run-layer-row',
      rowKey: (row) => row.run.id,
      rowClass: (row) => (row.run.stats.nan > 0 || row.run.stats.inf > 0 ? 'non-finite' : undefined),
      emptyText: 'No per-layer results.',
      onSelect: (row) => this.context.select(row.run.id),
      onActivate: (row) => this.context.showInTable(row.run.id),
    });
  }

  restoreScroll(): void {
    this.element.scrollTop = this.context.view.scroll.run;
  }
}
