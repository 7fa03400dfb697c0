/** Pure text formatting for the Training Monitor: metric values, durations, relative times. */

const SIGNIFICANT_DIGITS = 4;

/**
 * A metric value with 4 significant digits: `0.1235`, `1235`, `2.5`,
 * `1.235e8`, `1e-7`; NaN and ±Infinity as such (a diverged loss must show).
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-4 && magnitude < 1e5) return String(Number(value.toPrecision(SIGNIFICANT_DIGITS)));
  return value
    .toExponential(SIGNIFICANT_DIGITS - 1)
    .replace(/\.?0+e/, 'e')
    .replace('e+', 'e');
}

/** A whole number with thousands separators: `12,800`. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return formatValue(value);
  const rounded = Math.round(value);
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return rounded < 0 ? `-${digits}` : digits;
}

const pad2 = (value: number): string => String(value).padStart(2, '0');

/** Seconds as `42s`, `2m 05s`, `1h 02m`, `3d 04h`; `—` when unknown or negative. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const total = Math.round(seconds);
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m ${pad2(total % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${pad2(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d ${pad2(hours % 24)}h`;
}

/** How long ago a Unix time was, coarsely: `just now`, `12s ago`, `5m ago`, `3h ago`, `2d ago`; '' when unknown. */
export function formatRelativeTime(unixSeconds: number | undefined, nowSeconds: number): string {
  if (unixSeconds === undefined || !Number.isFinite(unixSeconds) || !Number.isFinite(nowSeconds)) return '';
  // A clock a little ahead of ours reads as "just now", not as the future.
  const ago = nowSeconds - unixSeconds;
  if (ago < 5) return 'just now';
  if (ago < 60) return `${Math.floor(ago)}s ago`;
  if (ago < 3600) return `${Math.floor(ago / 60)}m ago`;
  if (ago < 86400) return `${Math.floor(ago / 3600)}h ago`;
  return `${Math.floor(ago / 86400)}d ago`;
}

/** A Unix time as local date and time, for tooltips; '' when unknown. */
export function formatWallTime(unixSeconds: number | undefined): string {
  if (unixSeconds === undefined || !Number.isFinite(unixSeconds)) return '';
  const date = new Date(unixSeconds * 1000);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}
