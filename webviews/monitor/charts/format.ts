/** Text for the charts' ticks and read-outs. Pure: no DOM. */
import type { XAxisMode } from './axes';

/** `45s`, `1m 30s`, `2h`, `1h 5m`, `3d 4h`; fractions of a second below 10 s (`2.5s`). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  if (seconds < 10) return `${Math.round(seconds * 1000) / 1000}s`;
  let rest = Math.round(seconds);
  if (rest < 60) return `${rest}s`;
  const units: Array<[string, number]> = [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  for (const [name, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count}${name}`);
    // Two units say enough (`2h 5m`, not `2h 5m 10s`).
    if (parts.length === 2) break;
    if (parts.length === 1 && count === 0) break;
  }
  return parts.join(' ');
}

const COMPACT_UNITS: Array<[number, string]> = [
  [1e12, 'T'],
  [1e9, 'B'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Short tick labels for step counts: `950`, `2.5k`, `1M`, `1.25M`. */
export function formatCompact(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  for (const [size, suffix] of COMPACT_UNITS) {
    if (magnitude >= size) return `${trimNumber(value / size, 3)}${suffix}`;
  }
  return trimNumber(value, 3);
}

function trimNumber(value: number, decimals: number): string {
  return String(Number(value.toFixed(decimals)));
}

/** A metric value for the read-out: 5 significant digits, exponent when very large or small; `NaN`, `+Inf`, `-Inf`. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-4)) {
    return withoutTrailingZeros(value.toExponential(4));
  }
  return String(Number(value.toPrecision(5)));
}

function withoutTrailingZeros(exponential: string): string {
  const [mantissa, exponent] = exponential.split('e');
  return `${Number(mantissa)}e${Number(exponent)}`;
}

/**
 * A y-axis tick on a linear scale, with as many decimals as the tick spacing
 * (`increment`) needs: `0.0002`, `1.5`, `250k`; an exponent for tiny values (`5e-6`).
 */
export function formatTick(value: number, increment: number): string {
  if (!Number.isFinite(value)) return '';
  const magnitude = Math.abs(value);
  // Ticks are multiples of the increment: anything far below it is rounding noise for 0.
  if (magnitude === 0 || (increment > 0 && magnitude < increment * 1e-6)) return '0';
  if (magnitude >= 1e4) return formatCompact(value);
  const step = increment > 0 && Number.isFinite(increment) ? increment : magnitude;
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  if (decimals <= 5) return value.toFixed(decimals);
  const digits = Math.max(0, Math.floor(Math.log10(magnitude)) - Math.floor(Math.log10(step) + 1e-9));
  return withoutTrailingZeros(value.toExponential(Math.min(digits, 15)));
}

/** A tick on a log scale (powers of ten and the steps between): `0.001`, `5`, `20k`, `1e-6`. */
export function formatLogTick(value: number): string {
  if (!Number.isFinite(value) || value <= 0) return '';
  if (value >= 1e4) return formatCompact(value);
  if (value < 1e-4) return withoutTrailingZeros(value.toExponential(2));
  return String(Number(value.toPrecision(3)));
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** `2024-05-01 13:04:05`, in local time. */
export function formatWallTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const date = new Date(seconds * 1000);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** An x value for the read-out, in the unit of the x mode. */
export function formatX(value: number, mode: XAxisMode): string {
  if (!Number.isFinite(value)) return '—';
  switch (mode) {
    case 'step':
      return Math.round(value).toLocaleString('en-US');
    case 'epoch':
      return trimNumber(value, 3);
    case 'relative':
      return formatDuration(value);
    case 'wall':
      return formatWallTime(value);
  }
}
