/**
 * Reading layer configs. tfjs-layers hands a layer its Keras config with
 * camelCase keys and camelCase string values (`channels_last` arrives as
 * `channelsLast`); layers built directly in code pass the same spelling.
 * Every reader checks the value and names the layer and key when it is wrong,
 * because the config comes from an untrusted model file.
 */
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';

/** A layer's constructor argument: tfjs's base args plus the Keras config keys. */
export type KerasLayerArgs = LayerArgs & Record<string, unknown>;

/** Keys tfjs's base Layer consumes itself; everything else is the layer's own config. */
const BASE_KEYS = new Set(['name', 'trainable', 'dtype', 'batchInputShape', 'inputShape', 'batchSize', 'inputDType', 'weights']);

/** A hard limit for sizes read from a config (units, filters, paddings): far above any real layer. */
const MAX_SIZE = 1 << 24;

/** The largest weight tensor a layer will allocate before the file's weights arrive: 512 MiB of float32. */
const MAX_WEIGHT_ELEMENTS = 2 ** 27;

export class LayerConfigError extends Error {
  override name = 'LayerConfigError';
}

/**
 * A weight's shape, checked before tfjs allocates it: sizes in a config are
 * each bounded, but their product (heads x key_dim x features) is not.
 */
export function weightShape(layerClass: string, weight: string, shape: number[]): number[] {
  const elements = shape.reduce((all, size) => all * size, 1);
  if (elements > MAX_WEIGHT_ELEMENTS) {
    throw new LayerConfigError(`${layerClass}: its config asks for a ${weight} of shape [${shape.join(', ')}], ${elements.toExponential(2)} values: far beyond any real layer`);
  }
  return shape;
}

export class ConfigReader {
  constructor(
    private readonly layerClass: string,
    private readonly config: Record<string, unknown>,
  ) {}

  private fail(key: string, expected: string): never {
    throw new LayerConfigError(`${this.layerClass}: config ${key} must be ${expected}, got ${describe(this.config[key])}`);
  }

  has(key: string): boolean {
    return this.config[key] !== undefined && this.config[key] !== null;
  }

  bool(key: string, fallback: boolean): boolean {
    const value = this.config[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') this.fail(key, 'true or false');
    return value;
  }

  number(key: string, fallback: number): number {
    const value = this.config[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(key, 'a finite number');
    return value;
  }

  /** An integer in [min, MAX_SIZE]. */
  int(key: string, fallback: number | undefined, min = 1): number {
    const value = this.config[key];
    if (value === undefined || value === null) {
      if (fallback === undefined) this.fail(key, 'given');
      return fallback;
    }
    if (!isIntIn(value, min)) this.fail(key, `an integer >= ${min}`);
    return value;
  }

  string(key: string, fallback: string): string {
    const value = this.config[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string') this.fail(key, 'a string');
    return value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const value = this.string(key, fallback);
    if (!(allowed as readonly string[]).includes(value)) this.fail(key, `one of ${allowed.join(', ')}`);
    return value as T;
  }

  /** An int or a list of `length` ints (Keras accepts both for sizes, strides, ...). */
  intTuple(key: string, length: number, fallback: number[] | undefined, min = 1): number[] {
    const value = this.config[key];
    if (value === undefined || value === null) {
      if (fallback === undefined) this.fail(key, 'given');
      return fallback;
    }
    if (isIntIn(value, min)) return new Array<number>(length).fill(value);
    if (Array.isArray(value) && value.length === length && value.every((item) => isIntIn(item, min))) return value as number[];
    return this.fail(key, `an integer >= ${min} or a list of ${length} of them`);
  }

  /**
   * Per-axis (before, after) amounts for padding and cropping layers: an int
   * (all sides), a list of `axes` ints (symmetric per axis), a list of `axes`
   * pairs, or for a single axis one pair.
   */
  pairs(key: string, axes: number, fallback: number): Array<[number, number]> {
    const value = this.config[key];
    if (value === undefined || value === null) return Array.from({ length: axes }, () => [fallback, fallback]);
    if (isIntIn(value, 0)) return Array.from({ length: axes }, () => [value, value]);
    const expected = `an integer >= 0, ${axes === 1 ? 'a pair' : `a list of ${axes} integers or of ${axes} pairs`}`;
    if (!Array.isArray(value)) return this.fail(key, expected);
    if (axes === 1 && value.length === 2 && value.every((item) => isIntIn(item, 0))) return [[value[0] as number, value[1] as number]];
    if (value.length !== axes) return this.fail(key, expected);
    return value.map((item): [number, number] => {
      if (isIntIn(item, 0)) return [item, item];
      if (Array.isArray(item) && item.length === 2 && item.every((side) => isIntIn(side, 0))) return [item[0] as number, item[1] as number];
      return this.fail(key, expected);
    });
  }

  /** `axis` as an int or a list of ints, each in [-rankLimit, rankLimit). */
  axes(key: string, fallback: number[]): number[] {
    const value = this.config[key];
    if (value === undefined || value === null) return fallback;
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || !list.every((item) => Number.isInteger(item) && Math.abs(item as number) <= 64)) {
      this.fail(key, 'an integer axis or a list of them');
    }
    return list as number[];
  }

  /** `channelsLast` (default) or `channelsFirst`; accepts the Keras snake_case spelling too. */
  dataFormat(key = 'dataFormat'): 'channelsLast' | 'channelsFirst' {
    const value = this.string(key, 'channelsLast');
    if (value === 'channelsLast' || value === 'channels_last') return 'channelsLast';
    if (value === 'channelsFirst' || value === 'channels_first') return 'channelsFirst';
    return this.fail(key, 'channels_last or channels_first');
  }

  /** The layer's own config keys (not tfjs's base ones), as given: kept so getConfig can return them. */
  ownEntries(): Record<string, unknown> {
    const own: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.config)) if (!BASE_KEYS.has(key)) own[key] = value;
    return own;
  }
}

function isIntIn(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_SIZE;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
