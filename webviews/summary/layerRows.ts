/**
 * Which rows the layer and weight tables show, and in what order: the depth
 * limit, the text filter and the column sort. Pure, so it is tested without a DOM.
 */
import type { LayerSummary, WeightStats, WeightTensor } from '../../src/protocol/model';
import { formatOutputShapes, formatShape } from './format';

export type SortDirection = 'asc' | 'desc';

export interface SortState<Column extends string = string> {
  column: Column;
  direction: SortDirection;
}

/** A value to sort by; null sorts last in either direction (no shape, no MAC rule). */
export type SortValue = string | number | boolean | null;

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

function compareValues(a: SortValue, b: SortValue): number {
  if (typeof a === 'string' && typeof b === 'string') return collator.compare(a, b);
  return Number(a) - Number(b);
}

/**
 * Sorts a copy by one column. Stable: equal rows keep their original order
 * (the model's order), and nulls go last whichever the direction.
 */
export function sortRows<Row>(rows: readonly Row[], valueOf: (row: Row) => SortValue, direction: SortDirection): Row[] {
  const sign = direction === 'asc' ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index, value: valueOf(row) }))
    .sort((a, b) => {
      if (a.value === null || b.value === null) {
        if (a.value === b.value) return a.index - b.index;
        return a.value === null ? 1 : -1;
      }
      return sign * compareValues(a.value, b.value) || a.index - b.index;
    })
    .map((entry) => entry.row);
}

/** Whether every whitespace-separated term of `filter` occurs in one of `texts` (case-insensitive). */
export function matchesFilter(filter: string, texts: readonly string[]): boolean {
  const terms = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return true;
  const haystack = texts.join('\n').toLowerCase();
  return terms.every((term) => haystack.includes(term));
}

// ---------------------------------------------------------------------------
// Layers

export const LAYER_COLUMNS = ['name', 'type', 'shape', 'params', 'percent', 'trainable', 'macs', 'connected'] as const;
export type LayerColumn = (typeof LAYER_COLUMNS)[number];

export function isLayerColumn(value: unknown): value is LayerColumn {
  return typeof value === 'string' && (LAYER_COLUMNS as readonly string[]).includes(value);
}

/** The number a shape sorts by: its element count per sample (unknown dims count as 1). */
function shapeSize(layer: LayerSummary): number | null {
  const shape = layer.outputShapes[0];
  if (!shape) return null;
  return shape.reduce<number>((size, dim) => size * (dim ?? 1), 1);
}

export function layerSortValue(layer: LayerSummary, column: LayerColumn): SortValue {
  switch (column) {
    case 'name':
      return layer.name;
    case 'type':
      return layer.className;
    case 'shape':
      return shapeSize(layer);
    case 'params':
    case 'percent':
      return layer.params;
    case 'trainable':
      return layer.trainable;
    case 'macs':
      return layer.macs;
    case 'connected':
      return layer.connectedTo.length === 0 ? null : layer.connectedTo.join(',');
  }
}

/** The deepest nesting level in the model (0 when nothing is nested). */
export function maxLayerDepth(layers: readonly LayerSummary[]): number {
  return layers.reduce((deepest, layer) => Math.max(deepest, layer.depth), 0);
}

export interface LayerQuery {
  /** Show layers up to this nesting depth; null shows every level. */
  depth: number | null;
  filter: string;
  /** Undefined keeps the model's order (nested layers right after their model). */
  sort?: SortState<LayerColumn>;
}

/** The rows of the layer table for a query. */
export function visibleLayers(layers: readonly LayerSummary[], query: LayerQuery): LayerSummary[] {
  const rows = layers.filter(
    (layer) =>
      (query.depth === null || layer.depth <= query.depth) &&
      matchesFilter(query.filter, [layer.name, layer.id, layer.className, formatOutputShapes(layer.outputShapes)]),
  );
  const sort = query.sort;
  return sort ? sortRows(rows, (layer) => layerSortValue(layer, sort.column), sort.direction) : rows;
}

// ---------------------------------------------------------------------------
// Weights

export const WEIGHT_COLUMNS = ['path', 'layer', 'shape', 'dtype', 'bytes', 'min', 'max', 'mean', 'std', 'zeros', 'nonfinite'] as const;
export type WeightColumn = (typeof WEIGHT_COLUMNS)[number];

export function isWeightColumn(value: unknown): value is WeightColumn {
  return typeof value === 'string' && (WEIGHT_COLUMNS as readonly string[]).includes(value);
}

export interface WeightRow {
  weight: WeightTensor;
  stats?: WeightStats;
}

/** Pairs each weight with its statistics (when they have arrived), by path. */
export function weightRows(weights: readonly WeightTensor[], stats: readonly WeightStats[] | undefined): WeightRow[] {
  const byPath = new Map((stats ?? []).map((entry) => [entry.path, entry]));
  return weights.map((weight) => {
    const found = byPath.get(weight.path);
    return found ? { weight, stats: found } : { weight };
  });
}

export function weightSortValue(row: WeightRow, column: WeightColumn): SortValue {
  const { weight, stats } = row;
  switch (column) {
    case 'path':
      return weight.path;
    case 'layer':
      return weight.layer || null;
    case 'shape':
      return weight.shape.reduce((size, dim) => size * dim, 1);
    case 'dtype':
      return weight.dtype;
    case 'bytes':
      return weight.bytes;
    case 'min':
    case 'max':
    case 'mean':
    case 'std':
    case 'zeros': {
      const value = stats?.[column];
      return value === undefined || Number.isNaN(value) ? null : value;
    }
    case 'nonfinite':
      return stats ? stats.nan + stats.inf : null;
  }
}

export interface WeightQuery {
  filter: string;
  sort?: SortState<WeightColumn>;
}

export function visibleWeights(rows: readonly WeightRow[], query: WeightQuery): WeightRow[] {
  const kept = rows.filter((row) => matchesFilter(query.filter, [row.weight.path, row.weight.layer, row.weight.dtype, formatShape(row.weight.shape)]));
  const sort = query.sort;
  return sort ? sortRows(kept, (row) => weightSortValue(row, sort.column), sort.direction) : kept;
}

/**
 * The next sort after clicking a column header: `first` (numbers start with
 * the largest), then the other direction, then back to the model's order.
 */
export function nextSort<Column extends string>(
  current: SortState<Column> | undefined,
  column: Column,
  first: SortDirection = 'asc',
): SortState<Column> | undefined {
  if (!current || current.column !== column) return { column, direction: first };
  if (current.direction === first) return { column, direction: first === 'asc' ? 'desc' : 'asc' };
  return undefined;
}
