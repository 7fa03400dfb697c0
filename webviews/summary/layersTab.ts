/** The layer table: Keras summary()/torchinfo columns, depth, filter, sort, virtualised rows. */
import type { LayerSummary } from '../../src/protocol/model';
import { h, setControlValue, textField, type Control } from '../shared/ui';
import type { LayerListTab, PageContext } from './context';
import { depthControl, depthValue } from './depthControl';
import { formatInteger, formatOutputShapes, formatPercent, isModuleTree, layerLabel } from './format';
import { maxLayerDepth, nextSort, visibleLayers, type LayerColumn } from './layerRows';
import { VirtualTable, type Column } from './virtualTable';

export const ROW_HEIGHT = 26;
const INDENT_PX = 16;

const NUMERIC: ReadonlySet<LayerColumn> = new Set(['shape', 'params', 'percent', 'macs']);

export class LayersTab implements LayerListTab {
  readonly element: HTMLElement;
  private readonly table: VirtualTable<LayerSummary>;
  private readonly status: HTMLElement;
  private readonly depth: Control | null;
  private readonly names: Map<string, string>;
  private readonly filterField: HTMLElement;

  constructor(private readonly context: PageContext) {
    const { summary, view } = context;
    this.names = new Map(summary.layers.map((layer) => [layer.id, layerLabel(layer)]));
    this.table = new VirtualTable<LayerSummary>({
      columns: this.columns(),
      rowHeight: ROW_HEIGHT,
      label: 'Layers',
      testId: 'layer-table',
      rowTestId: 'layer-row',
      rowKey: (layer) => layer.id,
      rowClass: (layer) => (layer.isModel ? 'nested-model' : undefined),
      emptyText: 'No layer matches the filter.',
      onSort: (column) => {
        const key = column as LayerColumn;
        view.layerSort = nextSort(view.layerSort, key, NUMERIC.has(key) ? 'desc' : 'asc');
        context.save();
        this.refresh();
      },
      onSelect: (layer) => context.select(layer.id),
      onActivate: (layer) => {
        context.select(layer.id);
        context.showTab('graph');
      },
      onScroll: (top) => {
        view.scroll.layers = top;
        context.save();
      },
    });
    this.status = h('span', { class: 'muted table-status', role: 'status', 'aria-live': 'polite' });
    this.depth = depthControl(context, maxLayerDepth(summary.layers));
    this.filterField = textField({
      label: 'Filter',
      value: view.layerFilter,
      placeholder: 'Name, type or shape',
      testId: 'layer-filter',
      onInput: (value) => {
        view.layerFilter = value;
        context.save();
        this.refresh();
      },
    });
    this.element = h('div', { class: 'tab-content fill' }, h('div', { class: 'toolbar' }, this.filterField, this.depth?.element, h('span', { class: 'spacer' }), this.status), this.table.element);
    this.table.select(view.selected, false);
    this.refresh();
  }

  private columns(): Array<Column<LayerSummary>> {
    const columns = this.allColumns();
    // A PyTorch file has no forward pass: no shapes, MACs or connections, but what the tensors tell.
    if (!isModuleTree(this.context.summary)) return columns;
    const moduleColumns = columns.filter((column) => !['shape', 'macs', 'connected'].includes(column.key));
    moduleColumns.splice(2, 0, {
      key: 'settings',
      label: 'From the tensors',
      width: 320,
      sortable: false,
      description: 'What the tensor names and shapes tell about the module',
      cell: (layer) => moduleSettings(layer),
      title: (layer) => moduleSettings(layer) || undefined,
    });
    return moduleColumns;
  }

  private allColumns(): Array<Column<LayerSummary>> {
    const { summary } = this.context;
    const treeOrder = (): boolean => this.context.view.layerSort === undefined;
    return [
      {
        key: 'name',
        label: 'Layer',
        sortable: true,
        cell: (layer) => {
          const name = h('span', { class: 'layer-name' }, layer.name);
          name.style.paddingLeft = `${treeOrder() ? layer.depth * INDENT_PX : 0}px`;
          return layer.isModel ? [name, ' ', h('span', { class: 'pill' }, 'model')] : name;
        },
        title: (layer) => (layer.depth > 0 ? layer.id : layer.name),
      },
      { key: 'type', label: 'Type', width: 170, sortable: true, cell: (layer) => layer.className, title: (layer) => layer.className },
      {
        key: 'shape',
        label: 'Output shape',
        width: 190,
        sortable: true,
        description: 'Static output shape; None is the batch or another size known only at run time',
        cell: (layer) => h('code', {}, formatOutputShapes(layer.outputShapes)),
        title: (layer) => formatOutputShapes(layer.outputShapes),
        cellClass: (layer) => (layer.outputShapes.length === 0 ? 'muted' : undefined),
      },
      {
        key: 'params',
        label: 'Params',
        width: 110,
        align: 'right',
        sortable: true,
        description: 'Parameters; a nested model shows its total, shared weights counted once',
        cell: (layer) => formatInteger(layer.params),
        title: (layer) => (layer.params ? `${formatInteger(layer.trainableParams)} trainable, ${formatInteger(layer.nonTrainableParams)} non-trainable` : undefined),
      },
      {
        key: 'percent',
        label: '% params',
        width: 100,
        align: 'right',
        sortable: true,
        cell: (layer) => {
          const bar = h('span', { class: 'percent-bar' });
          bar.style.width = `${summary.totalParams > 0 ? Math.min(100, (layer.params / summary.totalParams) * 100) : 0}%`;
          return h('span', { class: 'percent' }, h('span', { class: 'percent-track', 'aria-hidden': 'true' }, bar), h('span', {}, formatPercent(layer.params, summary.totalParams)));
        },
      },
      {
        key: 'trainable',
        label: 'Trainable',
        width: 84,
        align: 'center',
        sortable: true,
        cell: (layer) => (layer.trainable ? h('span', { 'aria-label': 'yes' }, '✓') : h('span', { class: 'muted', 'aria-label': 'no' }, '—')),
      },
      {
        key: 'macs',
        label: 'MACs',
        width: 130,
        align: 'right',
        sortable: true,
        description: 'Multiply-accumulates for one sample; — where no rule knows the layer',
        cell: (layer) => (layer.macs === null ? h('span', { class: 'muted', title: 'No MAC rule for this layer' }, '—') : formatInteger(layer.macs)),
      },
      {
        key: 'connected',
        label: 'Connected to',
        width: 200,
        sortable: true,
        cell: (layer) => layer.connectedTo.map((id) => this.names.get(id) ?? id).join(', '),
        title: (layer) => layer.connectedTo.map((id) => this.names.get(id) ?? id).join('\n') || undefined,
      },
    ];
  }

  /** Recomputes the rows after a change of filter, depth or sort. */
  refresh(): void {
    const { summary, view } = this.context;
    const rows = visibleLayers(summary.layers, { depth: view.depth, filter: view.layerFilter, sort: view.layerSort });
    this.table.setSort(view.layerSort);
    this.table.setRows(rows);
    this.depth?.setValue(depthValue(view.depth));
    const total = summary.layers.length;
    this.status.textContent = rows.length === total ? `${formatInteger(total)} layers` : `${formatInteger(rows.length)} of ${formatInteger(total)} layers`;
  }

  setFilter(text: string): void {
    this.context.view.layerFilter = text;
    setControlValue(this.filterField, text);
    this.context.save();
    this.refresh();
  }

  select(id: string | undefined, reveal: boolean): void {
    this.table.select(id, reveal);
  }

  restoreScroll(): void {
    this.table.scrollTo(this.context.view.scroll.layers);
  }
}

/** A module's inferred settings as one line: `in_channels=3, out_channels=64, kernel_size=7x7`. */
function moduleSettings(layer: LayerSummary): string {
  return Object.entries(layer.settings)
    .filter(([key]) => key !== 'type from')
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}
