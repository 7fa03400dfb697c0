/** What an HDF5 data file holds: its groups and datasets. */
import type { HDF5Entry } from '../../src/protocol/model';
import { h } from '../shared/ui';
import { formatShape } from './format';
import { VirtualTable } from './virtualTable';

export function contentsTable(entries: HDF5Entry[]): HTMLElement {
  const table = new VirtualTable<HDF5Entry>({
    columns: [
      { key: 'path', label: 'Path', cell: (entry) => h('code', {}, entry.path), title: (entry) => entry.path },
      { key: 'kind', label: 'Kind', width: 100, cell: (entry) => entry.kind },
      { key: 'shape', label: 'Shape', width: 200, cell: (entry) => (entry.shape ? h('code', {}, formatShape(entry.shape)) : '') },
      { key: 'dtype', label: 'Dtype', width: 120, cell: (entry) => entry.dtype ?? '' },
    ],
    rowHeight: 26,
    label: 'File contents',
    testId: 'contents-table',
    rowKey: (entry) => entry.path,
    emptyText: 'The file is empty.',
  });
  table.setRows(entries);
  return h('div', { class: 'tab-content fill' }, table.element);
}
