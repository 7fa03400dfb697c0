/**
 * Growable typed buffers for the charts' per-line caches. Touching fresh
 * memory is slow in the webview (a new million-double array costs about as
 * much as a pass over it), so caches keep their buffers across redraws and
 * grow them with headroom: a line that gains a few points per update
 * reallocates only once in a long while. Pure: no DOM.
 */

/** Headroom on each growth: a quarter of the size needed, at least MIN_CAPACITY. */
const MIN_CAPACITY = 64;

export function capacityFor(needed: number): number {
  return Math.max(MIN_CAPACITY, needed + (needed >>> 2));
}

/** `buffer` when it holds `needed` values, else a larger one with its first `keep` values copied over. */
export function ensureFloat64(buffer: Float64Array, needed: number, keep: number): Float64Array {
  if (buffer.length >= needed) return buffer;
  const grown = new Float64Array(capacityFor(needed));
  if (keep > 0) grown.set(buffer.subarray(0, keep));
  return grown;
}

/** As ensureFloat64, for indices. */
export function ensureInt32(buffer: Int32Array, needed: number, keep: number): Int32Array {
  if (buffer.length >= needed) return buffer;
  const grown = new Int32Array(capacityFor(needed));
  if (keep > 0) grown.set(buffer.subarray(0, keep));
  return grown;
}
