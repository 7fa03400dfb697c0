/**
 * The page's own UI state (tab, sort, filter, depth, run options, scroll,
 * selection), saved with setState so a reload of the webview restores it.
 * Restoring validates field by field: a saved state from an older page or a
 * damaged one falls back to defaults instead of breaking the page.
 */
import type { InputKind, RunOptions } from '../../src/protocol/model';
import { isModuleTree } from './format';
import { isLayerColumn, isWeightColumn, type LayerColumn, type SortState, type WeightColumn } from './layerRows';

export const TABS = ['layers', 'weights', 'graph', 'run'] as const;
export type TabId = (typeof TABS)[number];

export interface GraphView {
  /** Pan offset, px, and zoom factor of the graph drawing. */
  x: number;
  y: number;
  scale: number;
}

export interface ViewState {
  tab: TabId;
  layerSort?: SortState<LayerColumn>;
  layerFilter: string;
  weightSort?: SortState<WeightColumn>;
  weightFilter: string;
  /** Nesting depth shown in the table and the graph; null shows every level. */
  depth: number | null;
  run: RunOptions;
  /** Scroll offsets of the scrolling areas, px. */
  scroll: { layers: number; weights: number; run: number };
  /** The selected layer's id (table row and graph node). */
  selected?: string;
  /** The graph's pan/zoom; absent until the user moves it (then the drawing is fitted). */
  graph?: GraphView;
}

export const RUN_LIMITS = {
  batchSize: { min: 1, max: 1024 },
  unknownDim: { min: 1, max: 4096 },
} as const;

export const DEFAULT_RUN_OPTIONS: RunOptions = { input: 'uniform', batchSize: 1, unknownDim: 32 };

export function defaultViewState(): ViewState {
  return {
    tab: 'layers',
    layerFilter: '',
    weightFilter: '',
    depth: null,
    run: { ...DEFAULT_RUN_OPTIONS },
    scroll: { layers: 0, weights: 0, run: 0 },
  };
}

const INPUT_KINDS: readonly InputKind[] = ['zeros', 'uniform', 'normal'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finiteNumber(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function sortState<Column extends string>(value: unknown, isColumn: (column: unknown) => column is Column): SortState<Column> | undefined {
  if (!isRecord(value) || !isColumn(value.column)) return undefined;
  if (value.direction !== 'asc' && value.direction !== 'desc') return undefined;
  return { column: value.column, direction: value.direction };
}

/**
 * A whole number within [min, max] from user input (a text field's value or
 * a saved number); undefined when the input is not one.
 */
export function parseBoundedInteger(value: unknown, min: number, max: number): number | undefined {
  const number = typeof value === 'string' ? (/^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) return undefined;
  return number;
}

function runOptions(value: unknown): RunOptions {
  if (!isRecord(value)) return { ...DEFAULT_RUN_OPTIONS };
  return {
    input: INPUT_KINDS.includes(value.input as InputKind) ? (value.input as InputKind) : DEFAULT_RUN_OPTIONS.input,
    batchSize: parseBoundedInteger(value.batchSize, RUN_LIMITS.batchSize.min, RUN_LIMITS.batchSize.max) ?? DEFAULT_RUN_OPTIONS.batchSize,
    unknownDim: parseBoundedInteger(value.unknownDim, RUN_LIMITS.unknownDim.min, RUN_LIMITS.unknownDim.max) ?? DEFAULT_RUN_OPTIONS.unknownDim,
  };
}

const MAX_FILTER_LENGTH = 200;

/** The view state to start from, given what getState returned (anything, or nothing). */
export function restoreViewState(saved: unknown): ViewState {
  const state = defaultViewState();
  if (!isRecord(saved)) return state;
  if (TABS.includes(saved.tab as TabId)) state.tab = saved.tab as TabId;
  const layerSort = sortState(saved.layerSort, isLayerColumn);
  if (layerSort) state.layerSort = layerSort;
  const weightSort = sortState(saved.weightSort, isWeightColumn);
  if (weightSort) state.weightSort = weightSort;
  if (typeof saved.layerFilter === 'string') state.layerFilter = saved.layerFilter.slice(0, MAX_FILTER_LENGTH);
  if (typeof saved.weightFilter === 'string') state.weightFilter = saved.weightFilter.slice(0, MAX_FILTER_LENGTH);
  if (saved.depth === null || (Number.isInteger(saved.depth) && (saved.depth as number) >= 0)) state.depth = saved.depth as number | null;
  state.run = runOptions(saved.run);
  if (isRecord(saved.scroll)) {
    state.scroll = {
      layers: Math.max(0, finiteNumber(saved.scroll.layers, 0)),
      weights: Math.max(0, finiteNumber(saved.scroll.weights, 0)),
      run: Math.max(0, finiteNumber(saved.scroll.run, 0)),
    };
  }
  if (typeof saved.selected === 'string') state.selected = saved.selected;
  if (isRecord(saved.graph)) {
    const scale = finiteNumber(saved.graph.scale, 0);
    if (scale > 0) state.graph = { x: finiteNumber(saved.graph.x, 0), y: finiteNumber(saved.graph.y, 0), scale };
  }
  return state;
}

/**
 * Tabs a summary can show: all four for a model with an architecture (Keras
 * layers or a TF.js graph), no Run for ONNX, the module tree and weights for
 * PyTorch, the weights alone for a weights-only file, none for an HDF5 data
 * file (the page lists its contents instead).
 */
export function availableTabs(summary: { hasArchitecture: boolean; layers: unknown[]; graph?: unknown; format: string; framework?: string }): TabId[] {
  // TF.js runs Keras and TF.js models only; ONNX and PyTorch are read, not run.
  if (summary.format === 'onnx') return ['layers', 'weights', 'graph'];
  if (isModuleTree(summary)) return summary.layers.length > 0 ? ['layers', 'weights'] : ['weights'];
  if ((summary.hasArchitecture && summary.layers.length > 0) || summary.graph) return ['layers', 'weights', 'graph', 'run'];
  if (summary.format === 'hdf5-data') return [];
  return ['weights'];
}
