/**
 * The host sends each image's bytes once per page load and an empty
 * `dataUri` afterwards; the page keeps them by run and image id.
 */
import type { RunView } from '../../src/protocol/monitorView';

export class ImageCache {
  private readonly uris = new Map<string, string>();

  /** The runs with every known image's bytes filled in; forgets images no run lists any more. */
  fill(runs: RunView[]): RunView[] {
    const listed = new Set<string>();
    const filled = runs.map((run) => {
      if (!Array.isArray(run.images)) return run;
      const images = run.images.flatMap((image) => {
        const key = `${run.id}\u0000${image.id}`;
        listed.add(key);
        if (image.dataUri) {
          this.uris.set(key, image.dataUri);
          return [image];
        }
        const known = this.uris.get(key);
        return known === undefined ? [] : [{ ...image, dataUri: known }];
      });
      return { ...run, images };
    });
    for (const key of [...this.uris.keys()]) if (!listed.has(key)) this.uris.delete(key);
    return filled;
  }

  clear(): void {
    this.uris.clear();
  }
}
