/** The page's image cache: bytes travel once per page load, later messages carry only ids. */
import assert from 'node:assert/strict';
import type { GalleryImage, RunView } from '../../src/protocol/monitorView';
import { ImageCache } from '../../webviews/monitor/imageCache';

const image = (id: string, dataUri: string): GalleryImage => ({ id, tag: id, dataUri });
const run = (id: string, images: GalleryImage[]): RunView => ({ id, name: id, path: id, format: 'jsonl', colour: '#fff', status: 'running', hparams: {}, images, skipped: 0, warnings: [] });

describe('monitor page image cache', () => {
  it('fills in the bytes of images sent before, keeps new ones, and forgets unlisted ones', () => {
    const cache = new ImageCache();
    const first = cache.fill([run('a', [image('x', 'data:image/png;base64,AAA')])]);
    assert.equal(first[0]!.images[0]!.dataUri, 'data:image/png;base64,AAA');
    const second = cache.fill([run('a', [image('y', 'data:image/png;base64,BBB'), image('x', '')])]);
    assert.deepEqual(
      second[0]!.images.map((i) => [i.id, i.dataUri]),
      [
        ['y', 'data:image/png;base64,BBB'],
        ['x', 'data:image/png;base64,AAA'],
      ],
    );
    cache.fill([run('a', [image('y', '')])]);
    const third = cache.fill([run('a', [image('x', ''), image('y', '')])]);
    assert.deepEqual(
      third[0]!.images.map((i) => i.id),
      ['y'],
      'x was forgotten when no run listed it; an image without bytes is left out',
    );
  });

  it('keeps images of different runs apart', () => {
    const cache = new ImageCache();
    cache.fill([run('a', [image('x', 'data:image/png;base64,AAA')]), run('b', [image('x', 'data:image/png;base64,BBB')])]);
    const again = cache.fill([run('a', [image('x', '')]), run('b', [image('x', '')])]);
    assert.deepEqual(
      again.map((r) => r.images[0]!.dataUri),
      ['data:image/png;base64,AAA', 'data:image/png;base64,BBB'],
    );
  });
});
