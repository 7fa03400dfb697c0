/** Every weight tensor in the file, with value statistics once the engine has computed them. */
import type { WeightStats } from '../../src/protocol/model';
import { h, progressRing, textField, type Child } from '../shared/ui';
import type { PageContext } from './context';
import { formatBytes, formatInteger, formatShape, formatStat } from './format';
import { nextSort, visibleWeights, weightRows, type WeightColumn, type WeightRow } from './layerRows';
import { VirtualTable, type Column } from './virtualTable';

const ROW_HEIGHT = 26;
const TEXT_COLUMNS: ReadonlySet<WeightColumn> = new Set(['path', 'layer', 'dtype']);

function hasNonFinite(stats: WeightStats | undefined): boolean {
  return !!stats && (stats.nan > 0 || stats.inf > 0);
}

/** A statistic, or a placeholder while statistics are being computed (nothing when none will come). */
function statCell(row: WeightRow, pick: (stats: WeightStats) => string, loading: boolean): Child {
  if (row.stats) return pick(row.stats);
  return loading ? h('span', { class: 'muted' }, '…') : '';
}

export class WeightsTab {
  readonly element: HTMLElement;
  private readonly table: VirtualTable<WeightRow>;
  private readonly status: HTMLElement;
  private readonly statsStatus: HTMLElement;
  private rows: WeightRow[] = [];
  /** What the shown statistics came from; each host message is a fresh copy, so compare contents. */
  private statsKey: string | null = null;
  private loading = false;

  constructor(private readonly context: PageContext) {
    const { view } = context;
    this.table = new VirtualTable<WeightRow>({
      columns: this.columns(),
      rowHeight: ROW_HEIGHT,
      label: 'Weights',
      testId: 'weight-table',
      rowTestId: 'weight-row',
      rowKey: (row) => row.weight.path,
      rowClass: (row) => (hasNonFinite(row.stats) ? 'non-finite' : undefined),
      emptyText: context.summary.weights.length ? 'No weight matches the filter.' : 'This model has no weights.',
      onSort: (column) => {
        const key = column as WeightColumn;
        view.weightSort = nextSort(view.weightSort, key, TEXT_COLUMNS.has(key) ? 'asc' : 'desc');
        context.save();
        this.refresh();
      },
      onSelect: (row) => {
        if (row.weight.layer) context.select(row.weight.layer);
      },
      onActivate: (row) => {
        if (row.weight.layer && context.summary.layers.some((layer) => layer.id === row.weight.layer)) context.showInTable(row.weight.layer);
      },
      onScroll: (top) => {
        view.scroll.weights = top;
        context.save();
      },
    });
    this.status = h('span', { class: 'muted table-status' });
    this.statsStatus = h('span', { class: 'stats-status', role: 'status', 'aria-live': 'polite' });
    const filter = textField({
      label: 'Filter',
      value: view.weightFilter,
      placeholder: 'Path, layer, dtype or shape',
      testId: 'weight-filter',
      onInput: (value) => {
        view.weightFilter = value;
        context.save();
        this.refresh();
      },
    });
    this.element = h('div', { class: 'tab-content fill' }, h('div', { class: 'toolbar' }, filter, this.statsStatus, h('span', { class: 'spacer' }), this.status), this.table.element);
    this.update();
  }

  private columns(): Array<Column<WeightRow>> {
    return [
      { key: 'path', label: 'Path', sortable: true, cell: (row) => h('code', {}, row.weight.path), title: (row) => row.weight.path },
      {
        key: 'layer',
        label: 'Layer',
        width: 150,
        sortable: true,
        cell: (row) => [row.weight.layer || h('span', { class: 'muted' }, '—'), row.weight.sharedWith?.length ? h('span', { class: 'pill' }, `shared ×${row.weight.sharedWith.length + 1}`) : null],
        title: (row) => (row.weight.sharedWith?.length ? `Also used by ${row.weight.sharedWith.join(', ')}` : row.weight.layer || undefined),
      },
      { key: 'shape', label: 'Shape', width: 120, sortable: true, cell: (row) => h('code', {}, formatShape(row.weight.shape)), title: (row) => formatShape(row.weight.shape) },
      {
        key: 'dtype',
        label: 'Dtype',
        width: 90,
        sortable: true,
        cell: (row) => row.weight.dtype,
        title: (row) => {
          const q = row.weight.quantization;
          return q ? `Quantised to ${q.dtype}${q.scale !== undefined ? `, scale ${q.scale}` : ''}${q.min !== undefined ? `, min ${q.min}` : ''}` : undefined;
        },
      },
      { key: 'bytes', label: 'Bytes', width: 90, align: 'right', sortable: true, cell: (row) => formatBytes(row.weight.bytes), title: (row) => `${formatInteger(row.weight.bytes)} bytes` },
      { key: 'min', label: 'Min', width: 80, align: 'right', sortable: true, cell: (row) => statCell(row, (s) => formatStat(s.min), this.loading) },
      { key: 'max', label: 'Max', width: 80, align: 'right', sortable: true, cell: (row) => statCell(row, (s) => formatStat(s.max), this.loading) },
      { key: 'mean', label: 'Mean', width: 80, align: 'right', sortable: true, cell: (row) => statCell(row, (s) => formatStat(s.mean), this.loading) },
      { key: 'std', label: 'Std', width: 80, align: 'right', sortable: true, cell: (row) => statCell(row, (s) => formatStat(s.std), this.loading) },
      {
        key: 'zeros',
        label: 'Zeros',
        width: 76,
        align: 'right',
        sortable: true,
        description: 'Share of values that are exactly zero (sparsity)',
        cell: (row) => statCell(row, (s) => `${(s.zeros * 100).toFixed(1)}%`, this.loading),
      },
      {
        key: 'nonfinite',
        label: 'NaN/Inf',
        width: 92,
        sortable: true,
        description: 'Count of NaN and infinite values',
        cell: (row) =>
          row.stats
            ? [
                row.stats.nan > 0 ? h('span', { class: 'flag' }, `${formatInteger(row.stats.nan)} NaN`) : null,
                row.stats.inf > 0 ? h('span', { class: 'flag' }, `${formatInteger(row.stats.inf)} Inf`) : null,
              ]
            : '',
      },
    ];
  }

  /** Takes new weight statistics from the host state, if they changed. */
  update(): void {
    const stats = this.context.state().weightStats;
    const key = stats ? `${stats.status}\u0000${stats.stats?.length ?? -1}\u0000${stats.error ?? ''}` : '';
    if (key === this.statsKey) return;
    this.statsKey = key;
    this.loading = stats?.status === 'loading';
    this.rows = weightRows(this.context.summary.weights, stats?.status === 'ready' ? stats.stats : undefined);
    if (!stats) this.statsStatus.replaceChildren();
    else if (stats.status === 'loading') this.statsStatus.replaceChildren(progressRing('Computing weight statistics'), h('span', { class: 'muted' }, 'Computing statistics…'));
    else if (stats.status === 'failed') this.statsStatus.replaceChildren(h('span', { class: 'error' }, `Statistics failed: ${stats.error ?? 'unknown error'}`));
    else {
      const flagged = this.rows.filter((row) => hasNonFinite(row.stats)).length;
      this.statsStatus.replaceChildren(flagged ? h('span', { class: 'error' }, `${flagged === 1 ? '1 tensor holds' : `${flagged} tensors hold`} NaN or Inf values`) : h('span', { class: 'muted' }, 'No NaN or Inf'));
    }
    this.refresh();
  }

  refresh(): void {
    const { view, summary } = this.context;
    const rows = visibleWeights(this.rows, { filter: view.weightFilter, sort: view.weightSort });
    this.table.setSort(view.weightSort);
    this.table.setRows(rows);
    const total = summary.weights.length;
    const shown = rows.length === total ? `${formatInteger(total)} tensors` : `${formatInteger(rows.length)} of ${formatInteger(total)} tensors`;
    this.status.textContent = `${shown} · ${formatBytes(summary.weightBytes)}`;
  }

  restoreScroll(): void {
    this.table.scrollTo(this.context.view.scroll.weights);
  }
}
