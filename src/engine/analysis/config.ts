/**
 * Typed reads of a layer's Keras config (Keras 2 spelling, untrusted JSON):
 * every reader checks what it gets and throws a ShapeError that says which
 * key is wrong, so one odd layer never breaks the whole summary.
 */
import type { Shape } from '../../protocol/model';

export type LayerConfig = Record<string, unknown>;

/** A layer's config or inputs do not fit its rule; the message says what is wrong. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

export function asConfig(value: unknown): LayerConfig {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as LayerConfig) : {};
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A non-negative integer; `fallback` when the key is absent or null. */
export function readCount(config: LayerConfig, key: string, fallback?: number): number {
  const value = config[key];
  if (value === undefined || value === null) {
    if (fallback === undefined) throw new ShapeError(`config has no '${key}'`);
    return fallback;
  }
  // Keras 1/2 sometimes store a one-element tuple where an int is meant.
  const single = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (!isCount(single)) throw new ShapeError(`'${key}' is ${describe(value)}, not a whole number`);
  return single;
}

/** A positive integer (a size that cannot be zero: units, filters, strides). */
export function readPositive(config: LayerConfig, key: string, fallback?: number): number {
  const value = readCount(config, key, fallback);
  if (value === 0) throw new ShapeError(`'${key}' is 0`);
  return value;
}

/** An int or a tuple of `rank` ints (kernel_size, strides, ...), as a tuple. */
export function readTuple(config: LayerConfig, key: string, rank: number, fallback?: number): number[] {
  const value = config[key];
  if (value === undefined || value === null) {
    if (fallback === undefined) throw new ShapeError(`config has no '${key}'`);
    return new Array<number>(rank).fill(fallback);
  }
  if (isCount(value)) return new Array<number>(rank).fill(value);
  if (Array.isArray(value) && value.length === rank && value.every(isCount)) return value;
  if (Array.isArray(value) && value.length === 1 && isCount(value[0])) return new Array<number>(rank).fill(value[0]);
  throw new ShapeError(`'${key}' is ${describe(value)}, expected ${rank} whole number(s)`);
}

/** Like readTuple, with every entry at least 1. */
export function readPositiveTuple(config: LayerConfig, key: string, rank: number, fallback?: number): number[] {
  const tuple = readTuple(config, key, rank, fallback);
  if (tuple.some((value) => value === 0)) throw new ShapeError(`'${key}' has a 0 entry`);
  return tuple;
}

/**
 * Padding/cropping amounts: an int (same on both sides of every axis), a
 * tuple of `rank` ints (symmetric per axis) or `rank` pairs. For rank 1 a
 * bare pair means (left, right). Returns [before, after] per axis.
 */
export function readSidePairs(config: LayerConfig, key: string, rank: number, fallback: number): Array<[number, number]> {
  const value = config[key] ?? fallback;
  if (isCount(value)) return Array.from({ length: rank }, () => [value, value]);
  if (Array.isArray(value)) {
    const [first, second] = value as unknown[];
    if (rank === 1 && value.length === 2 && isCount(first) && isCount(second)) return [[first, second]];
    if (value.length === rank) {
      const pairs = value.map((entry): [number, number] | undefined => {
        if (isCount(entry)) return [entry, entry];
        if (Array.isArray(entry) && entry.length === 2 && isCount(entry[0]) && isCount(entry[1])) return [entry[0], entry[1]];
        return undefined;
      });
      if (pairs.every((pair) => pair !== undefined)) return pairs as Array<[number, number]>;
    }
  }
  throw new ShapeError(`'${key}' is ${describe(value)}, expected an int, ${rank} ints or ${rank} pairs`);
}

export function readString(config: LayerConfig, key: string, fallback: string): string {
  const value = config[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') throw new ShapeError(`'${key}' is ${describe(value)}, not a string`);
  return value;
}

export function readBoolean(config: LayerConfig, key: string, fallback: boolean): boolean {
  const value = config[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new ShapeError(`'${key}' is ${describe(value)}, not true/false`);
  return value;
}

/** An int axis (may be negative). */
export function readAxis(config: LayerConfig, key: string, fallback: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ShapeError(`'${key}' is ${describe(value)}, not an axis`);
  return value;
}

/** channels_first layout (Keras 2 `data_format`, Keras 1 `dim_ordering: "th"`). */
export function isChannelsFirst(config: LayerConfig): boolean {
  const format = config['data_format'];
  if (format === 'channels_first') return true;
  if (format === 'channels_last' || format === undefined || format === null) return config['dim_ordering'] === 'th';
  throw new ShapeError(`'data_format' is ${describe(format)}`);
}

/** The inner layer of a wrapper or an RNN cell: `{class_name, config}`. */
export function readNestedLayer(config: LayerConfig, key: string): NestedLayer | undefined {
  return asNestedLayer(config[key]);
}

export interface NestedLayer {
  className: string;
  config: LayerConfig;
}

export function asNestedLayer(value: unknown): NestedLayer | undefined {
  const serialized = asConfig(value);
  const className = serialized['class_name'];
  if (typeof className !== 'string') return undefined;
  return { className, config: asConfig(serialized['config']) };
}

/** A shape written in a config; null and -1 are unknown dimensions. */
export function readShape(value: unknown, key: string): Shape {
  if (!Array.isArray(value)) throw new ShapeError(`'${key}' is ${describe(value)}, not a shape`);
  return value.map((dim) => {
    if (dim === null || dim === -1) return null;
    if (isCount(dim)) return dim;
    throw new ShapeError(`'${key}' has the dimension ${describe(dim)}`);
  });
}

/**
 * The input shape a config declares (batch first): batch_input_shape or
 * batch_shape, else input_shape with a batch in front; Keras 1 `input_dim`
 * (not for Embedding, whose input_dim is the vocabulary) and Embedding's
 * `input_length`. Undefined when it declares none.
 */
export function declaredInputShape(className: string, config: LayerConfig): Shape | undefined {
  for (const key of ['batch_input_shape', 'batch_shape']) {
    if (config[key] !== undefined && config[key] !== null) return readShape(config[key], key);
  }
  if (config['input_shape'] !== undefined && config['input_shape'] !== null) {
    return [null, ...readShape(config['input_shape'], 'input_shape')];
  }
  if (className === 'Embedding') {
    const length = config['input_length'];
    if (length === undefined) return undefined;
    return [null, length === null ? null : readCount(config, 'input_length')];
  }
  if (config['input_dim'] !== undefined && config['input_dim'] !== null) return [null, readCount(config, 'input_dim')];
  return undefined;
}

/** A short description of a config value for error messages (never the whole value). */
export function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
