/** The images tab's items: every visible run's images in one list, newest first. */
import type { GalleryImage, RunView } from '../../src/protocol/monitorView';

export interface GalleryItem {
  /** Unique on the page: run id and image id. */
  key: string;
  runId: string;
  runName: string;
  image: GalleryImage;
}

const newestFirst = (a: number | undefined, b: number | undefined): number => {
  const left = a !== undefined && Number.isFinite(a) ? a : Number.NEGATIVE_INFINITY;
  const right = b !== undefined && Number.isFinite(b) ? b : Number.NEGATIVE_INFINITY;
  return left === right ? 0 : right > left ? 1 : -1;
};

/**
 * The images of the runs whose ids are in `visible`, newest first by wall
 * time, then by step (images without either last), at most `limit`; only
 * `data:image/` URIs, so nothing else ever lands in an img src.
 */
export function galleryItems(runs: readonly Pick<RunView, 'id' | 'name' | 'images'>[], visible: ReadonlySet<string>, limit: number): GalleryItem[] {
  const items: GalleryItem[] = [];
  for (const run of runs) {
    if (!visible.has(run.id) || !Array.isArray(run.images)) continue;
    for (const image of run.images) {
      if (typeof image?.dataUri !== 'string' || !image.dataUri.startsWith('data:image/')) continue;
      items.push({ key: `${run.id}\u0000${image.id}`, runId: run.id, runName: run.name, image });
    }
  }
  // Array.prototype.sort is stable: equal images keep the runs' order.
  items.sort((a, b) => newestFirst(a.image.wallTime, b.image.wallTime) || newestFirst(a.image.step, b.image.step));
  return items.slice(0, Math.max(0, limit));
}
