/**
 * A table that renders only the rows in view (plus a margin), so tens of
 * thousands of rows scroll smoothly. Rows have one fixed height; spacer rows
 * above and below stand in for the rest. Exposed as a read-only grid: header
 * cells carry aria-sort, rows aria-rowindex/aria-selected, and the focused
 * table points at the selected row with aria-activedescendant; arrows,
 * Page Up/Down and Home/End move the selection, Enter activates it.
 */
import type { SortState } from './layerRows';
import { h, type Child } from '../shared/ui';
import { isNavigationKey, navigate, scrollToReveal, virtualWindow } from './virtualWindow';

const FLEXIBLE_COLUMN_MIN_WIDTH = 220;

export interface Column<Row> {
  key: string;
  label: string;
  /** Fixed width in px; the columns without one share what is left. */
  width?: number;
  align?: 'left' | 'right' | 'center';
  /** Clicking the header calls onSort with the column's key. */
  sortable?: boolean;
  /** Header tooltip explaining the column. */
  description?: string;
  cell(row: Row): Child | Child[];
  /** Tooltip for the cell, e.g. the full text when it may be cut off. */
  title?(row: Row): string | undefined;
  cellClass?(row: Row): string | undefined;
}

export interface VirtualTableOptions<Row> {
  columns: Array<Column<Row>>;
  rowHeight: number;
  /** Accessible name of the table. */
  label: string;
  testId?: string;
  rowTestId?: string;
  rowKey(row: Row): string;
  rowClass?(row: Row): string | undefined;
  emptyText: string;
  onSort?(column: string): void;
  onSelect?(row: Row): void;
  /** Rows activated with a double click or Enter. */
  onActivate?(row: Row): void;
  onScroll?(scrollTop: number): void;
}

export class VirtualTable<Row> {
  readonly element: HTMLElement;
  private readonly table: HTMLElement;
  private readonly head: HTMLElement;
  private readonly body: HTMLElement;
  private readonly topPad: HTMLElement;
  private readonly bottomPad: HTMLElement;
  private readonly headerCells = new Map<string, HTMLElement>();
  private rows: readonly Row[] = [];
  private selectedKey: string | undefined;
  private rendered = { start: -1, end: -1 };
  private frame = 0;
  private readonly idPrefix: string;

  constructor(private readonly options: VirtualTableOptions<Row>) {
    const columnCount = String(options.columns.length);
    this.topPad = h('tr', { class: 'vt-pad', 'aria-hidden': 'true' }, h('td', { colspan: columnCount }));
    this.bottomPad = h('tr', { class: 'vt-pad', 'aria-hidden': 'true' }, h('td', { colspan: columnCount }));
    this.body = h('tbody', {});
    this.head = h('thead', {}, h('tr', { 'aria-rowindex': '1' }, ...options.columns.map((column) => this.headerCell(column))));
    const tableAttributes: Record<string, string> = { class: 'vt', role: 'grid', 'aria-readonly': 'true', tabindex: '0', 'aria-label': options.label };
    if (options.testId) tableAttributes['data-testid'] = options.testId;
    this.table = h(
      'table',
      tableAttributes,
      h('colgroup', {}, ...options.columns.map((column) => this.columnElement(column))),
      this.head,
      this.body,
    );
    // Below this width the table scrolls sideways rather than squeezing the flexible columns to nothing.
    const fixedWidth = options.columns.reduce((sum, column) => sum + (column.width ?? FLEXIBLE_COLUMN_MIN_WIDTH), 0);
    this.table.style.minWidth = `${fixedWidth}px`;
    this.idPrefix = `vt-${Math.random().toString(36).slice(2, 10)}`;
    this.element = h('div', { class: 'vt-scroll' }, this.table);
    this.element.style.setProperty('--vt-row-height', `${options.rowHeight}px`);
    this.element.addEventListener('scroll', () => {
      this.schedule();
      options.onScroll?.(this.element.scrollTop);
    });
    this.table.addEventListener('keydown', (event) => this.onKey(event));
    this.body.addEventListener('click', (event) => this.onRowEvent(event, false));
    this.body.addEventListener('dblclick', (event) => this.onRowEvent(event, true));
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  private columnElement(column: Column<Row>): HTMLElement {
    const col = h('col', {});
    if (column.width !== undefined) col.style.width = `${column.width}px`;
    return col;
  }

  private headerCell(column: Column<Row>): HTMLElement {
    const attributes: Record<string, string> = { scope: 'col', class: `align-${column.align ?? 'left'}` };
    if (column.description) attributes.title = column.description;
    const content: Child = column.sortable
      ? (() => {
          const sortButton = h('button', { class: 'sort-button', type: 'button' }, column.label, h('span', { class: 'sort-indicator', 'aria-hidden': 'true' }));
          sortButton.addEventListener('click', () => this.options.onSort?.(column.key));
          return sortButton;
        })()
      : column.label;
    const cell = h('th', attributes, content);
    if (column.sortable) cell.setAttribute('aria-sort', 'none');
    this.headerCells.set(column.key, cell);
    return cell;
  }

  /** Marks the sorted column in the header. */
  setSort(sort: SortState | undefined): void {
    for (const [key, cell] of this.headerCells) {
      if (!cell.hasAttribute('aria-sort')) continue;
      const direction = sort?.column === key ? sort.direction : undefined;
      cell.setAttribute('aria-sort', direction === 'asc' ? 'ascending' : direction === 'desc' ? 'descending' : 'none');
      const indicator = cell.querySelector('.sort-indicator');
      if (indicator) indicator.textContent = direction === 'asc' ? '▲' : direction === 'desc' ? '▼' : '';
    }
  }

  setRows(rows: readonly Row[]): void {
    this.rows = rows;
    this.table.setAttribute('aria-rowcount', String(rows.length + 1));
    this.rendered = { start: -1, end: -1 };
    this.render();
  }

  /** Renders the rows in view again (their data changed, not their number). */
  refresh(): void {
    this.rendered = { start: -1, end: -1 };
    this.render();
  }

  get rowCount(): number {
    return this.rows.length;
  }

  get scrollTop(): number {
    return this.element.scrollTop;
  }

  scrollTo(top: number): void {
    this.element.scrollTop = top;
    this.render();
  }

  /** Selects the row with `key` (or none); `reveal` scrolls it into view. */
  select(key: string | undefined, reveal: boolean): void {
    this.selectedKey = key;
    for (const row of this.body.querySelectorAll('tr[data-key]')) {
      const selected = row.getAttribute('data-key') === key;
      row.classList.toggle('selected', selected);
      row.setAttribute('aria-selected', selected ? 'true' : 'false');
    }
    this.updateActiveDescendant();
    if (reveal && key !== undefined) {
      const index = this.rows.findIndex((row) => this.options.rowKey(row) === key);
      if (index >= 0) this.element.scrollTop = scrollToReveal(index, this.options.rowHeight, this.element.scrollTop, this.bodyViewportHeight());
      this.render();
    }
  }

  private bodyViewportHeight(): number {
    return Math.max(0, this.element.clientHeight - this.head.getBoundingClientRect().height);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const { start, end, padTop, padBottom } = virtualWindow(this.rows.length, this.options.rowHeight, this.element.scrollTop, this.bodyViewportHeight());
    if (start === this.rendered.start && end === this.rendered.end) return;
    this.rendered = { start, end };
    (this.topPad.firstElementChild as HTMLElement).style.height = `${padTop}px`;
    (this.bottomPad.firstElementChild as HTMLElement).style.height = `${padBottom}px`;
    if (this.rows.length === 0) {
      this.body.replaceChildren(h('tr', { class: 'vt-empty' }, h('td', { colspan: String(this.options.columns.length) }, this.options.emptyText)));
      return;
    }
    const rows: HTMLElement[] = [];
    for (let index = start; index < end; index++) rows.push(this.renderRow(this.rows[index] as Row, index));
    this.body.replaceChildren(...(padTop > 0 ? [this.topPad] : []), ...rows, ...(padBottom > 0 ? [this.bottomPad] : []));
    this.updateActiveDescendant();
  }

  private updateActiveDescendant(): void {
    const selected = this.body.querySelector('tr.selected');
    if (selected) this.table.setAttribute('aria-activedescendant', selected.id);
    else this.table.removeAttribute('aria-activedescendant');
  }

  private renderRow(row: Row, index: number): HTMLElement {
    const key = this.options.rowKey(row);
    const selected = key === this.selectedKey;
    const attributes: Record<string, string> = {
      id: `${this.idPrefix}-${index}`,
      'data-key': key,
      'data-index': String(index),
      'aria-rowindex': String(index + 2),
      'aria-selected': selected ? 'true' : 'false',
      class: [index % 2 ? 'odd' : '', selected ? 'selected' : '', this.options.rowClass?.(row) ?? ''].join(' ').trim(),
    };
    if (this.options.rowTestId) attributes['data-testid'] = this.options.rowTestId;
    return h(
      'tr',
      attributes,
      ...this.options.columns.map((column) => {
        const cellAttributes: Record<string, string> = { class: [`align-${column.align ?? 'left'}`, column.cellClass?.(row) ?? ''].join(' ').trim() };
        const title = column.title?.(row);
        if (title) cellAttributes.title = title;
        const content = column.cell(row);
        return h('td', cellAttributes, ...(Array.isArray(content) ? content : [content]));
      }),
    );
  }

  private onRowEvent(event: MouseEvent, activate: boolean): void {
    const rowElement = (event.target as Element).closest('tr[data-index]');
    if (!rowElement) return;
    const row = this.rows[Number(rowElement.getAttribute('data-index'))];
    if (row === undefined) return;
    this.select(this.options.rowKey(row), false);
    if (activate) this.options.onActivate?.(row);
    else this.options.onSelect?.(row);
  }

  private onKey(event: KeyboardEvent): void {
    if (event.target !== this.table) return;
    const current = this.selectedKey === undefined ? -1 : this.rows.findIndex((row) => this.options.rowKey(row) === this.selectedKey);
    if (event.key === 'Enter' && current >= 0) {
      this.options.onActivate?.(this.rows[current] as Row);
      event.preventDefault();
      return;
    }
    if (!isNavigationKey(event.key)) return;
    event.preventDefault();
    const pageSize = Math.floor(this.bodyViewportHeight() / this.options.rowHeight) - 1;
    const next = navigate(current, event.key, this.rows.length, pageSize);
    const row = this.rows[next];
    if (row === undefined) return;
    this.select(this.options.rowKey(row), true);
    this.options.onSelect?.(row);
  }
}
