/**
 * The few config values worth a glance in the layer table, as display
 * strings: sizes, windows, activations, rates, flags that change the
 * output. Defaults that change nothing (use_bias true, dilation 1,
 * channels_last) are left out.
 */
import { asNestedLayer, type LayerConfig } from './config';

const MAX_LENGTH = 80;

/** Keys shown when present, in this order. */
const SHOWN = [
  'units',
  'filters',
  'kernel_size',
  'strides',
  'pool_size',
  'padding',
  'cropping',
  'size',
  'dilation_rate',
  'depth_multiplier',
  'groups',
  'output_padding',
  'activation',
  'recurrent_activation',
  'use_bias',
  'return_sequences',
  'return_state',
  'go_backwards',
  'stateful',
  'dropout',
  'recurrent_dropout',
  'rate',
  'stddev',
  'num_heads',
  'key_dim',
  'value_dim',
  'attention_axes',
  'input_dim',
  'output_dim',
  'mask_zero',
  'target_shape',
  'dims',
  'n',
  'axis',
  'axes',
  'normalize',
  'merge_mode',
  'interpolation',
  'height',
  'width',
  'scale',
  'offset',
  'alpha',
  'negative_slope',
  'max_value',
  'theta',
  'threshold',
  'mask_value',
  'equation',
  'output_shape',
  'bias_axes',
  'keepdims',
  'data_format',
  'dtype',
] as const;

/** Values that say nothing when they are the default. */
const QUIET: Partial<Record<(typeof SHOWN)[number], (value: unknown) => boolean>> = {
  use_bias: (value) => value === true,
  go_backwards: (value) => value === false,
  stateful: (value) => value === false,
  return_state: (value) => value === false,
  mask_zero: (value) => value === false,
  normalize: (value) => value === false,
  keepdims: (value) => value === false,
  dropout: (value) => value === 0,
  recurrent_dropout: (value) => value === 0,
  groups: (value) => value === 1,
  depth_multiplier: (value) => value === 1,
  dilation_rate: (value) => value === 1 || (Array.isArray(value) && value.every((entry) => entry === 1)),
  data_format: (value) => value === 'channels_last',
  dtype: (value) => value === 'float32' || typeof value !== 'string',
  output_padding: (value) => value === null,
  attention_axes: (value) => value === null,
  output_shape: (value) => value === null,
  // BatchNormalization's `scale` flag; Rescaling's `scale` is a number and stays.
  scale: (value) => value === true,
};

/** Window sizes read best as 3×3. */
const WINDOWS = new Set(['kernel_size', 'strides', 'pool_size', 'size', 'dilation_rate']);

function display(key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (WINDOWS.has(key) && Array.isArray(value) && value.every((entry) => typeof entry === 'number')) return value.join('×');
  const nested = asNestedLayer(value);
  if (nested) return nested.className;
  const text = formatValue(value);
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 1)}…` : text;
}

function formatValue(value: unknown, depth = 0): string {
  if (value === null) return 'None';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (depth > 3) return '(…)';
    // Bounded: a long list is cut anyway when displayed.
    const parts = value.slice(0, 20).map((entry) => formatValue(entry, depth + 1));
    return `(${parts.join(', ')}${value.length > 20 ? ', …' : ''})`;
  }
  return '{…}';
}

export function layerSettings(className: string, config: LayerConfig): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const key of SHOWN) {
    const value = config[key];
    if (value === undefined || QUIET[key]?.(value)) continue;
    const shown = display(key, value);
    if (shown !== undefined) settings[key] = shown;
  }
  // Wrappers and generic RNNs: the inner layer, with its own settings.
  for (const key of ['layer', 'cell'] as const) {
    const inner = asNestedLayer(config[key]);
    if (!inner) continue;
    const innerSettings = Object.entries(layerSettings(inner.className, inner.config)).map(([name, value]) => `${name}=${value}`);
    const text = `${inner.className}(${innerSettings.join(', ')})`;
    settings[key] = text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 1)}…` : text;
  }
  if (className === 'InputLayer') {
    for (const key of ['sparse', 'ragged'] as const) if (config[key] === true) settings[key] = 'true';
  }
  return settings;
}
