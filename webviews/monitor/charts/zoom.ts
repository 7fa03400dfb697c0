/**
 * The x-range a chart shows: the data's full range, or the user's zoom inside
 * it. A zoom of `undefined` means "the full range", which keeps following the
 * data as points are appended. Pure: no DOM.
 */
import type { XRange } from './downsample';

/** Narrowest zoom, as a fraction of the full range (deeper would show single points across the plot anyway). */
const MIN_SPAN_FRACTION = 1e-9;

/** A range uPlot can draw: a single x (one point) gets room around it. */
export function drawableRange(range: XRange): XRange {
  if (range.max > range.min) return range;
  const room = Math.abs(range.min) > 0 ? Math.abs(range.min) * 0.05 : 1;
  return { min: range.min - room, max: range.max + room };
}

/** Whether `range` shows all of `full` (so the chart should follow the data). */
export function coversFull(range: XRange, full: XRange): boolean {
  const tolerance = (full.max - full.min) * 1e-9;
  return range.min <= full.min + tolerance && range.max >= full.max - tolerance;
}

/** Moves `range` inside `full`, keeping its width; undefined when it is at least as wide as `full`. */
export function clampRange(range: XRange, full: XRange): XRange | undefined {
  const width = range.max - range.min;
  if (!(width > 0) || width >= full.max - full.min) return undefined;
  let min = Math.max(range.min, full.min);
  let max = min + width;
  if (max > full.max) {
    max = full.max;
    min = max - width;
  }
  return coversFull({ min, max }, full) ? undefined : { min, max };
}

/**
 * Zooms around `anchor` (the x under the mouse) by `factor` (< 1 zooms in,
 * > 1 out), keeping the anchor where it is on screen. Undefined once the
 * result shows the full range.
 */
export function zoomAround(current: XRange, anchor: number, factor: number, full: XRange): XRange | undefined {
  const fullSpan = full.max - full.min;
  if (!(fullSpan > 0) || !(factor > 0)) return current;
  const width = current.max - current.min;
  const newWidth = Math.max(width * factor, fullSpan * MIN_SPAN_FRACTION);
  if (newWidth >= fullSpan) return undefined;
  const at = Math.min(Math.max(anchor, current.min), current.max);
  const share = width > 0 ? (at - current.min) / width : 0.5;
  const min = at - share * newWidth;
  return clampRange({ min, max: min + newWidth }, full);
}

/** Shifts the zoomed range by `delta` x units, within `full`. */
export function panBy(current: XRange, delta: number, full: XRange): XRange | undefined {
  if (!Number.isFinite(delta)) return current;
  return clampRange({ min: current.min + delta, max: current.max + delta }, full);
}

/**
 * The zoom to keep after the data changed: undefined (follow the data) stays
 * so; a zoom is kept inside the new full range, or dropped when the data no
 * longer reaches it (e.g. a run was restarted from scratch).
 */
export function keepZoom(zoom: XRange | undefined, full: XRange | undefined): XRange | undefined {
  if (!zoom || !full) return undefined;
  if (zoom.max <= full.min || zoom.min >= full.max) return undefined;
  const min = Math.max(zoom.min, full.min);
  const max = Math.min(zoom.max, full.max);
  return coversFull({ min, max }, full) ? undefined : { min, max };
}
