/**
 * The runs table: one row per run with its visibility, status, progress,
 * main metric, duration, ETA and problems. Rows are kept by run id and
 * updated in place, so focus and hover survive the updates that stream in.
 */
import type { RunFormat } from '../../src/protocol/monitor';
import type { RunView, ViewToMonitor } from '../../src/protocol/monitorView';
import { button, h } from '../shared/ui';
import { syncChildren } from './dom';
import { formatDuration, formatValue, formatWallTime } from './format';
import type { MetricSummary } from './metrics';
import { runDuration, runFileToOpen, runProgress } from './runInfo';

const FORMAT_LABELS: Record<RunFormat, string> = {
  tfevents: 'TensorBoard',
  'keras-csv': 'Keras CSV',
  'lightning-csv': 'Lightning CSV',
  jsonl: 'JSONL',
  mlflow: 'MLflow',
};

const COLUMNS = ['Show', 'Run', 'Format', 'Status', 'Progress', 'Main metric', 'Duration', 'ETA', 'Problems', ''];
const MAX_TOOLTIP_WARNINGS = 20;

export interface RunRowData {
  run: RunView;
  visible: boolean;
  metrics: MetricSummary[];
}

export interface RunsTableHost {
  setVisible(runId: string, visible: boolean): void;
  showOnly(runId: string): void;
  post(message: ViewToMonitor): void;
}

function warningsTooltip(run: RunView): string {
  const warnings = Array.isArray(run.warnings) ? run.warnings : [];
  const lines = warnings.slice(0, MAX_TOOLTIP_WARNINGS);
  if (warnings.length > lines.length) lines.push(`…and ${warnings.length - lines.length} more`);
  return lines.join('\n');
}

function problemsText(run: RunView): string {
  const parts: string[] = [];
  if (run.skipped > 0) parts.push(`${run.skipped} skipped`);
  const warnings = Array.isArray(run.warnings) ? run.warnings.length : 0;
  if (warnings > 0) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  return parts.join(', ');
}

function metricLine(metric: MetricSummary): HTMLElement {
  const best = metric.best !== undefined ? h('span', { class: 'metric-best', title: metric.goal === 'min' ? 'Lowest so far' : 'Highest so far' }, `best ${formatValue(metric.best)}`) : null;
  const last = metric.last === undefined ? '—' : formatValue(metric.last);
  const lastClass = metric.last !== undefined && !Number.isFinite(metric.last) ? 'metric-last non-finite' : 'metric-last';
  return h('div', { class: 'metric-line', 'data-testid': 'run-metric' }, h('span', { class: 'metric-label' }, metric.label), ' ', h('span', { class: lastClass }, last), best ? ' ' : null, best);
}

class RunRow {
  readonly element: HTMLTableRowElement;
  private readonly visibleBox: HTMLInputElement;
  private readonly swatch: HTMLElement;
  private readonly nameCell: HTMLElement;
  private readonly formatCell: HTMLElement;
  private readonly status: HTMLElement;
  private readonly progressCell: HTMLElement;
  private readonly metricCell: HTMLElement;
  private readonly durationCell: HTMLElement;
  private readonly etaCell: HTMLElement;
  private readonly problemsCell: HTMLElement;
  private readonly actionsCell: HTMLElement;
  private data: RunRowData;
  private nameKey = '';
  private actionsKey = '';

  constructor(
    data: RunRowData,
    private readonly host: RunsTableHost,
  ) {
    this.data = data;
    const runId = data.run.id;
    this.visibleBox = h('input', { type: 'checkbox', 'data-testid': 'run-visible' }) as HTMLInputElement;
    this.visibleBox.addEventListener('change', () => host.setVisible(runId, this.visibleBox.checked));
    this.swatch = h('span', { class: 'swatch', title: 'Double-click to show only this run', 'aria-hidden': 'true' });
    this.swatch.addEventListener('dblclick', () => host.showOnly(runId));
    this.nameCell = h('td', { class: 'run-name-cell' });
    this.formatCell = h('td', { class: 'run-format' });
    this.status = h('span', { class: 'status-badge', 'data-testid': 'run-status' });
    this.progressCell = h('td', { class: 'run-progress-cell' });
    this.metricCell = h('td', { class: 'run-metric-cell' });
    this.durationCell = h('td', { class: 'run-duration align-right' });
    this.etaCell = h('td', { class: 'run-eta align-right' });
    this.problemsCell = h('td', { class: 'run-problems' });
    this.actionsCell = h('td', { class: 'run-actions' });
    this.element = h(
      'tr',
      { 'data-testid': 'run-row', 'data-run-id': runId },
      h('td', { class: 'run-visibility' }, h('div', { class: 'visibility-box' }, this.swatch, this.visibleBox)),
      this.nameCell,
      this.formatCell,
      h('td', {}, this.status),
      this.progressCell,
      this.metricCell,
      this.durationCell,
      this.etaCell,
      this.problemsCell,
      this.actionsCell,
    ) as HTMLTableRowElement;
    this.update(data, Date.now() / 1000);
  }

  update(data: RunRowData, nowSeconds: number): void {
    this.data = data;
    const { run } = data;
    this.element.classList.toggle('hidden-run', !data.visible);
    this.visibleBox.checked = data.visible;
    this.visibleBox.setAttribute('aria-label', `Show ${run.name} in the charts`);
    this.swatch.style.setProperty('--run-colour', run.colour);
    this.updateName(run);
    this.formatCell.textContent = FORMAT_LABELS[run.format] ?? String(run.format);
    this.status.textContent = run.status;
    this.status.dataset.status = run.status;
    this.updateProgress(run);
    this.metricCell.replaceChildren(...(data.metrics.length > 0 ? data.metrics.map(metricLine) : ['—']));
    this.tick(nowSeconds);
    this.etaCell.textContent = run.status === 'running' && run.etaSeconds !== undefined ? formatDuration(run.etaSeconds) : '—';
    this.updateProblems(run);
    this.updateActions(run, data.visible);
  }

  /** Refreshes what changes with the clock alone: the duration of a running run. */
  tick(nowSeconds: number): void {
    const run = this.data.run;
    this.durationCell.textContent = formatDuration(runDuration(run, nowSeconds));
    const started = formatWallTime(run.started);
    const ended = formatWallTime(run.ended);
    this.durationCell.title = started ? `Started ${started}${ended ? `, ended ${ended}` : ''}` : '';
  }

  private updateName(run: RunView): void {
    const file = runFileToOpen(run);
    const key = `${run.name}\u0000${file ?? ''}\u0000${run.path}\u0000${run.newerFormat === true}`;
    if (key === this.nameKey) return;
    this.nameKey = key;
    let name: HTMLElement;
    if (file) {
      name = h('a', { href: '#', class: 'run-name', title: `Open ${file}` }, run.name);
      name.addEventListener('click', (event) => {
        event.preventDefault();
        this.host.post({ type: 'openFile', path: file });
      });
    } else {
      name = h('span', { class: 'run-name', title: run.path }, run.name);
    }
    const newer = run.newerFormat
      ? h('span', { class: 'pill warning-pill', title: 'Written by a newer run-log format than this version knows: some of it may not show.' }, 'newer format')
      : null;
    this.nameCell.replaceChildren(name, ...(newer ? [' ', newer] : []));
  }

  private updateProgress(run: RunView): void {
    const progress = runProgress(run);
    const text = [progress.epochText, progress.stepText].filter(Boolean).join(' · ');
    const children: Array<HTMLElement | string> = [h('span', { class: 'progress-text' }, text || '—')];
    if (progress.fraction !== undefined) {
      const percent = Math.round(progress.fraction * 100);
      const bar = h('span', { class: 'progress-bar' });
      bar.style.width = `${progress.fraction * 100}%`;
      children.push(
        h('span', { class: 'progress-track', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(percent), 'aria-label': `${run.name}: ${percent}% done`, title: `${percent}%` }, bar),
      );
    }
    this.progressCell.replaceChildren(...children);
  }

  private updateProblems(run: RunView): void {
    const text = problemsText(run);
    this.problemsCell.replaceChildren(text ? h('span', { class: 'problems', 'data-testid': 'run-warnings', title: warningsTooltip(run) }, `⚠ ${text}`) : '');
  }

  private updateActions(run: RunView, visible: boolean): void {
    const key = `${run.processId ?? ''}\u0000${visible}`;
    if (key === this.actionsKey) return;
    this.actionsKey = key;
    const processId = run.processId;
    this.actionsCell.replaceChildren(
      h(
        'div',
        { class: 'row-actions' },
        processId !== undefined
          ? button('Stop', () => this.host.post({ type: 'stopTraining', processId }), { testId: 'stop-training', title: `Stop the training process writing ${run.name}` })
          : null,
        button('Only', () => this.host.showOnly(run.id), { testId: 'show-only-run', title: 'Show only this run' }),
      ),
    );
  }
}

export class RunsTable {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly rows = new Map<string, RunRow>();
  private readonly empty: HTMLElement;

  constructor(private readonly host: RunsTableHost) {
    this.body = h('tbody');
    this.empty = h('tr', { class: 'empty-row' }, h('td', { colspan: String(COLUMNS.length) }, 'No runs found yet.'));
    const header = h('tr', {}, ...COLUMNS.map((label, index) => h('th', { scope: 'col', class: `col-${index}` }, label || h('span', { class: 'visually-hidden' }, 'Actions'))));
    this.element = h('div', { class: 'runs-scroll' }, h('table', { class: 'runs-table', 'data-testid': 'runs-table' }, h('thead', {}, header), this.body));
  }

  /** Shows these rows in this order, reusing the rows of runs already shown. */
  update(data: RunRowData[], nowSeconds: number): void {
    const seen = new Set<string>();
    const ordered: HTMLElement[] = [];
    for (const item of data) {
      if (seen.has(item.run.id)) continue;
      seen.add(item.run.id);
      let row = this.rows.get(item.run.id);
      if (row) row.update(item, nowSeconds);
      else {
        row = new RunRow(item, this.host);
        this.rows.set(item.run.id, row);
      }
      ordered.push(row.element);
    }
    for (const id of [...this.rows.keys()]) if (!seen.has(id)) this.rows.delete(id);
    syncChildren(this.body, ordered.length > 0 ? ordered : [this.empty]);
  }

  tick(nowSeconds: number): void {
    for (const row of this.rows.values()) row.tick(nowSeconds);
  }
}
