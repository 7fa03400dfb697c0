/**
 * The arithmetic of a virtualised list with fixed-height rows: which rows to
 * render for a scroll position, where to scroll to reveal a row, and where
 * keyboard navigation moves. Pure, so it is tested without a DOM.
 */

export interface VirtualWindow {
  /** First row to render. */
  start: number;
  /** One past the last row to render. */
  end: number;
  /** Height of the empty space above and below the rendered rows, px. */
  padTop: number;
  padBottom: number;
}

/**
 * The rows that cover the viewport plus `overscan` rows on each side, so a
 * small scroll shows rows that already exist. Out-of-range input (negative
 * scroll, a scroll past the end after the list shrank) is clamped.
 */
export function virtualWindow(rowCount: number, rowHeight: number, scrollTop: number, viewportHeight: number, overscan = 10): VirtualWindow {
  if (rowCount <= 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const maxScroll = Math.max(0, rowCount * rowHeight - viewportHeight);
  const top = Math.min(Math.max(0, scrollTop), maxScroll);
  const firstVisible = Math.floor(top / rowHeight);
  const visibleCount = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, firstVisible - overscan);
  const end = Math.min(rowCount, firstVisible + visibleCount + overscan);
  return { start, end, padTop: start * rowHeight, padBottom: (rowCount - end) * rowHeight };
}

/**
 * The scrollTop that brings row `index` fully into view, moving as little as
 * possible; the current scrollTop when it is already visible.
 */
export function scrollToReveal(index: number, rowHeight: number, scrollTop: number, viewportHeight: number): number {
  const rowTop = index * rowHeight;
  const rowBottom = rowTop + rowHeight;
  if (rowTop < scrollTop) return rowTop;
  if (rowBottom > scrollTop + viewportHeight) return Math.max(0, rowBottom - viewportHeight);
  return scrollTop;
}

export type NavigationKey = 'ArrowUp' | 'ArrowDown' | 'PageUp' | 'PageDown' | 'Home' | 'End';

export function isNavigationKey(key: string): key is NavigationKey {
  return ['ArrowUp', 'ArrowDown', 'PageUp', 'PageDown', 'Home', 'End'].includes(key);
}

/** Where the selection goes for a key; -1 (nothing selected) starts at the first row. */
export function navigate(current: number, key: NavigationKey, rowCount: number, pageSize: number): number {
  if (rowCount <= 0) return -1;
  const page = Math.max(1, pageSize);
  const next =
    current < 0
      ? key === 'End'
        ? rowCount - 1
        : 0
      : key === 'ArrowUp'
        ? current - 1
        : key === 'ArrowDown'
          ? current + 1
          : key === 'PageUp'
            ? current - page
            : key === 'PageDown'
              ? current + page
              : key === 'Home'
                ? 0
                : rowCount - 1;
  return Math.min(rowCount - 1, Math.max(0, next));
}
