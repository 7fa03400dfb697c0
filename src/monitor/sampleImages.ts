/**
 * A run's `samples/` folder (generated images the scaffolded GAN and
 * autoencoder projects write each epoch), read for the monitor's gallery:
 * the newest few images, re-read only when the folder changes, each bounded
 * in size.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { GalleryImage } from '../protocol/monitorView';

export const GALLERY_LIMIT = 24;
const MAX_IMAGE_BYTES = 4 * 1024 * 1024;
const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };

/** Width and height from a PNG's IHDR chunk, or undefined when the bytes are not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || signature.some((byte, i) => bytes[i] !== byte)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return undefined;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** The last number in a file name (`epoch-003.png` → 3): orders images written in the same second. */
export function numberInName(name: string): number | undefined {
  const match = /(\d+)(?!.*\d)/.exec(path.parse(name).name);
  return match ? Number(match[1]) : undefined;
}

interface CachedImage {
  mtimeMs: number;
  size: number;
  image: GalleryImage;
}

export class SampleImages {
  private folderMtimeMs = -1;
  private readonly cache = new Map<string, CachedImage>();
  private readonly problems = new Set<string>();

  constructor(readonly folder: string) {}

  /** The newest images when the folder changed since the last call, else undefined. Warnings go to `warn`. */
  async poll(warn: (line: string) => void): Promise<GalleryImage[] | undefined> {
    let stat;
    try {
      stat = await fs.stat(this.folder);
    } catch {
      if (this.folderMtimeMs === -1) return undefined;
      this.folderMtimeMs = -1;
      this.cache.clear();
      return [];
    }
    if (!stat.isDirectory() || stat.mtimeMs === this.folderMtimeMs) return undefined;
    this.folderMtimeMs = stat.mtimeMs;
    let names: string[];
    try {
      names = (await fs.readdir(this.folder)).filter((name) => MIME[path.extname(name).toLowerCase()] !== undefined);
    } catch {
      return undefined;
    }
    const files = [];
    for (const name of names) {
      try {
        const info = await fs.stat(path.join(this.folder, name));
        if (info.isFile()) files.push({ name, mtimeMs: info.mtimeMs, size: info.size });
      } catch {
        /* removed meanwhile */
      }
    }
    files.sort((a, b) => b.mtimeMs - a.mtimeMs || (numberInName(b.name) ?? 0) - (numberInName(a.name) ?? 0));
    const images: GalleryImage[] = [];
    const kept = new Set<string>();
    for (const file of files.slice(0, GALLERY_LIMIT)) {
      const image = await this.image(file, warn);
      if (image) {
        images.push(image);
        kept.add(file.name);
      }
    }
    for (const name of this.cache.keys()) if (!kept.has(name)) this.cache.delete(name);
    return images;
  }

  private async image(file: { name: string; mtimeMs: number; size: number }, warn: (line: string) => void): Promise<GalleryImage | undefined> {
    const cached = this.cache.get(file.name);
    if (cached && cached.mtimeMs === file.mtimeMs && cached.size === file.size) return cached.image;
    const full = path.join(this.folder, file.name);
    if (file.size > MAX_IMAGE_BYTES) {
      this.warnOnce(warn, file.name, `${file.name}: image larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB, not shown`);
      return undefined;
    }
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(full);
    } catch {
      return undefined;
    }
    const mime = MIME[path.extname(file.name).toLowerCase()]!;
    const size = mime === 'image/png' ? pngSize(bytes) : undefined;
    if (mime === 'image/png' && !size) {
      this.warnOnce(warn, file.name, `${file.name}: not a PNG image (or only partly written), not shown`);
      return undefined;
    }
    const image: GalleryImage = {
      id: `samples/${file.name}`,
      tag: `samples/${file.name}`,
      wallTime: file.mtimeMs / 1000,
      dataUri: `data:${mime};base64,${bytes.toString('base64')}`,
      file: full,
      ...size,
    };
    this.cache.set(file.name, { mtimeMs: file.mtimeMs, size: file.size, image });
    return image;
  }

  private warnOnce(warn: (line: string) => void, key: string, line: string): void {
    if (this.problems.has(key)) return;
    this.problems.add(key);
    warn(line);
  }
}
