/**
 * The images tab: the visible runs' images, newest first. Figures are kept
 * by key, so an update moves them instead of decoding every image again.
 */
import type { ViewToMonitor } from '../../src/protocol/monitorView';
import { h } from '../shared/ui';
import { syncChildren } from './dom';
import { formatCount, formatRelativeTime, formatWallTime } from './format';
import type { GalleryItem } from './galleryItems';

export const MAX_GALLERY_IMAGES = 300;
const SMALL_IMAGE_PX = 128;

interface Figure {
  element: HTMLElement;
  caption: HTMLElement;
  dataUri: string;
}

function captionText(item: GalleryItem, nowSeconds: number): string {
  const { image } = item;
  const parts = [item.runName, image.tag];
  if (image.step !== undefined && Number.isFinite(image.step)) parts.push(`step ${formatCount(image.step)}`);
  const when = formatRelativeTime(image.wallTime, nowSeconds);
  if (when) parts.push(when);
  return parts.join(' · ');
}

export class Gallery {
  readonly element: HTMLElement;
  private readonly grid = h('div', { class: 'gallery-grid' });
  private readonly empty = h(
    'p',
    { class: 'empty-state', 'data-testid': 'gallery-empty' },
    'No images in the visible runs. Images come from TensorBoard image summaries and from PNG files in a run’s samples/ folder.',
  );
  private readonly figures = new Map<string, Figure>();

  constructor(private readonly post: (message: ViewToMonitor) => void) {
    this.element = h('div', { class: 'tab-content scroll gallery' }, this.empty, this.grid);
  }

  update(items: GalleryItem[], nowSeconds: number): void {
    const seen = new Set<string>();
    const ordered: HTMLElement[] = [];
    for (const item of items) {
      if (seen.has(item.key)) continue;
      seen.add(item.key);
      let figure = this.figures.get(item.key);
      if (!figure || figure.dataUri !== item.image.dataUri) {
        figure = this.figure(item);
        this.figures.set(item.key, figure);
      }
      figure.caption.textContent = captionText(item, nowSeconds);
      ordered.push(figure.element);
    }
    for (const key of [...this.figures.keys()]) if (!seen.has(key)) this.figures.delete(key);
    syncChildren(this.grid, ordered);
    this.empty.hidden = ordered.length > 0;
    this.grid.hidden = ordered.length === 0;
  }

  private figure(item: GalleryItem): Figure {
    const { image } = item;
    const img = h('img', { src: image.dataUri, alt: `${image.tag} of ${item.runName}`, loading: 'lazy', decoding: 'async' }) as HTMLImageElement;
    // Small samples (MNIST digits) are scaled up with hard pixel edges; larger images are smoothed.
    if (image.width !== undefined && image.width > 0 && image.width <= SMALL_IMAGE_PX) img.classList.add('small');
    const caption = h('figcaption', {});
    const attributes: Record<string, string> = { class: 'gallery-item', 'data-testid': 'gallery-image', 'data-run-id': item.runId };
    const when = formatWallTime(image.wallTime);
    if (when) attributes.title = when;
    const element = h('figure', attributes, h('div', { class: 'gallery-frame' }, img), caption);
    const file = image.file;
    if (file) {
      element.classList.add('openable');
      element.tabIndex = 0;
      element.setAttribute('role', 'button');
      element.setAttribute('aria-label', `Open ${file}`);
      const open = (): void => this.post({ type: 'openFile', path: file });
      element.addEventListener('click', open);
      element.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          open();
        }
      });
    }
    return { element, caption, dataUri: image.dataUri };
  }
}
