/** A TF.js graph model's operations: op counts, then the node table (name, op, inputs). */
import type { GraphNode } from '../../src/protocol/model';
import { h, setControlValue, textField } from '../shared/ui';
import type { LayerListTab, PageContext } from './context';
import { formatInteger, opCounts } from './format';
import { matchesFilter, nextSort, sortRows, type SortState } from './layerRows';
import { VirtualTable } from './virtualTable';

const ROW_HEIGHT = 26;
type NodeColumn = 'name' | 'op' | 'inputs';

export class NodesTab implements LayerListTab {
  readonly element: HTMLElement;
  private readonly table: VirtualTable<GraphNode>;
  private readonly status: HTMLElement;
  private sort: SortState<NodeColumn> | undefined;
  private readonly filterField: HTMLElement;

  constructor(
    private readonly context: PageContext,
    private readonly nodes: GraphNode[],
  ) {
    this.table = new VirtualTable<GraphNode>({
      columns: [
        { key: 'name', label: 'Name', sortable: true, cell: (node) => node.name, title: (node) => node.name },
        { key: 'op', label: 'Op', width: 180, sortable: true, cell: (node) => node.op },
        {
          key: 'inputs',
          label: 'Inputs',
          width: 320,
          sortable: true,
          cell: (node) => node.inputs.join(', '),
          title: (node) => [...node.inputs, ...Object.entries(node.attributes).map(([key, value]) => `${key}: ${value}`)].join('\n') || undefined,
        },
      ],
      rowHeight: ROW_HEIGHT,
      label: 'Graph nodes',
      testId: 'layer-table',
      rowTestId: 'layer-row',
      rowKey: (node) => node.name,
      emptyText: 'No node matches the filter.',
      onSort: (column) => {
        this.sort = nextSort(this.sort, column as NodeColumn);
        this.refresh();
      },
      onSelect: (node) => context.select(node.name),
      onActivate: (node) => {
        context.select(node.name);
        context.showTab('graph');
      },
      onScroll: (top) => {
        context.view.scroll.layers = top;
        context.save();
      },
    });
    this.status = h('span', { class: 'muted table-status', role: 'status', 'aria-live': 'polite' });
    this.filterField = textField({
      label: 'Filter',
      value: context.view.layerFilter,
      placeholder: 'Name or op',
      testId: 'layer-filter',
      onInput: (value) => {
        context.view.layerFilter = value;
        context.save();
        this.refresh();
      },
    });
    const counts = opCounts(nodes);
    this.element = h(
      'div',
      { class: 'tab-content fill' },
      h('div', { class: 'op-counts', 'aria-label': 'Operations by count' }, ...counts.map(({ op, count }) => h('span', { class: 'pill' }, `${op} ×${count}`))),
      h('div', { class: 'toolbar' }, this.filterField, h('span', { class: 'spacer' }), this.status),
      this.table.element,
    );
    this.table.select(context.view.selected, false);
    this.refresh();
  }

  refresh(): void {
    const kept = this.nodes.filter((node) => matchesFilter(this.context.view.layerFilter, [node.name, node.op]));
    const sort = this.sort;
    const rows = sort ? sortRows(kept, (node) => (sort.column === 'inputs' ? node.inputs.length : node[sort.column]), sort.direction) : kept;
    this.table.setSort(sort);
    this.table.setRows(rows);
    this.status.textContent = rows.length === this.nodes.length ? `${formatInteger(rows.length)} nodes` : `${formatInteger(rows.length)} of ${formatInteger(this.nodes.length)} nodes`;
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
