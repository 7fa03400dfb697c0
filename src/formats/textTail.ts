/**
 * Incremental reading of text logs that grow by appended lines, and the small
 * pieces the text-log readers share (number cells, building a LogUpdate with
 * once-per-kind warnings).
 *
 * TextTail keeps the byte offset after the last complete line. Each read
 * takes the appended bytes in bounded chunks and hands over complete lines
 * only: a last line without `\n` is left for the next read. A file that is
 * now shorter than the offset, is another file (inode), or whose first line
 * changed is read again from byte 0 (`restarted`). Lines longer than the cap
 * are dropped without being held in memory, and counted. The whole lines of a
 * chunk are decoded as one string and split there: one decode per chunk, not
 * per line. A read may be bounded (`maxBytes`): it then stops at the first line
 * boundary at or past that many bytes, or inside an oversized line being
 * dropped, and says whether the file holds more.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { HyperParameters, LogUpdate, RunInfo } from '../protocol/monitor';
import { FormatError, asFormatError } from './errors';
import { SeriesCollector } from './scalarColumns';

/** Lines longer than this (bytes, without the `\n`) are skipped and counted. */
export const MAX_LINE_BYTES = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
/** How much of the first line is remembered to notice a rewritten file. */
const HEAD_BYTES = 64 * 1024;

export interface TailOptions {
  maxLineBytes?: number;
  chunkBytes?: number;
}

export interface TailRead {
  /** The file was rewritten or replaced: what came before is void; lines start again at the top. */
  restarted: boolean;
  /** Complete lines handed over. */
  lines: number;
  /** Lines dropped for being longer than the cap. */
  oversized: number;
  /** Bytes of the file this read consumed (from the offset it started at, or from 0 after a restart). */
  consumed: number;
  /** The read stopped at its byte limit with bytes beyond the offset already in the file. */
  more: boolean;
}

export interface TailReadOptions {
  /**
   * Asked about a last line without `\n` (only when given): return true to
   * take it as a line now (e.g. the writer has ended), false to leave it.
   */
  takeUnterminated?: (line: string) => boolean;
  /** Called when the file was rewritten or replaced, before its first line is handed over. */
  onRestart?: () => void;
  /**
   * Stop at the first line boundary once this many bytes were consumed (a
   * line is never split: one longer than this is still read whole).
   */
  maxBytes?: number;
}

export class TextTail {
  readonly file: string;
  private readonly maxLine: number;
  private readonly chunk: number;
  private pos = 0;
  private discarding = false;
  private head: Buffer | undefined;
  private ino: number | undefined;
  private seen = false;

  constructor(file: string, options: TailOptions = {}) {
    this.file = file;
    this.maxLine = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.chunk = Math.max(16, options.chunkBytes ?? CHUNK_BYTES);
  }

  /** Byte offset after the last line handed over (or dropped). */
  get offset(): number {
    return this.pos;
  }

  /** Forget everything: the next read starts at byte 0. */
  reset(): void {
    this.pos = 0;
    this.discarding = false;
    this.head = undefined;
    this.ino = undefined;
  }

  /** Calls `onLine` for each complete line appended since the last read (`\r\n` and a UTF-8 BOM removed). */
  async read(onLine: (line: string) => void, options: TailReadOptions = {}): Promise<TailRead> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch (error) {
      throw asFormatError(this.file, 'cannot open', error);
    }
    try {
      return await this.readOpen(handle, onLine, options);
    } catch (error) {
      throw asFormatError(this.file, 'cannot read', error);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  private async readOpen(handle: fs.FileHandle, onLine: (line: string) => void, options: TailReadOptions): Promise<TailRead> {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new FormatError(this.file, 'not a regular file');
    let restarted = false;
    if (this.seen) {
      const replaced = this.ino !== undefined && stat.ino !== 0 && stat.ino !== this.ino;
      if (replaced || stat.size < this.pos || !(await this.sameHead(handle))) {
        this.reset();
        restarted = true;
        options.onRestart?.();
      }
    }
    this.seen = true;
    this.ino = stat.ino;

    const end = stat.size;
    const startPos = this.pos;
    /** The file position from which a line end stops the read (Infinity: read to the end). */
    const stopAt = options.maxBytes === undefined || Number.isNaN(options.maxBytes) ? Infinity : startPos + Math.max(0, options.maxBytes);
    let limited = false;
    let readPos = this.pos;
    /** A line begun in an earlier chunk: copies, since the chunk buffer is reused. */
    let pending: Buffer[] = [];
    let pendingLength = 0;
    let lines = 0;
    let oversized = 0;
    const emit = (parts: Buffer[], start: number): void => {
      const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      if (start === 0 && this.head === undefined) this.head = Buffer.from(bytes.subarray(0, HEAD_BYTES - 1));
      let text = bytes.toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (start === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      lines++;
      onLine(text);
    };
    /** Whole lines of one chunk, none of them the file's first, decoded at once and split as text. */
    const emitBlock = (data: Buffer, from: number, last: number): void => {
      const text = data.toString('utf8', from, last);
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        let line = nl === -1 ? text.slice(start) : text.slice(start, nl);
        if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
        lines++;
        onLine(line);
        if (nl === -1) return;
        start = nl + 1;
      }
    };

    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(this.chunk, end - readPos)));
    while (readPos < end) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - readPos), readPos);
      if (bytesRead === 0) break;
      const data = buffer.subarray(0, bytesRead);
      let last = data.lastIndexOf(10);
      // The first line end at or past the limit ends this read.
      const firstStop = Math.max(0, stopAt - readPos - 1);
      if (firstStop <= last) {
        last = data.indexOf(10, firstStop);
        limited = true;
      }
      let from = 0;
      while (from <= last) {
        const lineStart = readPos + from - pendingLength;
        // The fast path needs no cap check: the block, hence each of its lines, is within the cap.
        if (pendingLength === 0 && !this.discarding && lineStart !== 0 && last - from <= this.maxLine) {
          emitBlock(data, from, last);
          from = last + 1;
          this.pos = readPos + from;
          break;
        }
        const nl = data.indexOf(10, from);
        const piece = data.subarray(from, nl);
        if (this.discarding) {
          this.discarding = false;
        } else if (pendingLength + piece.length > this.maxLine) {
          oversized++;
        } else {
          pending.push(piece);
          if (lineStart === 0 && this.head === undefined) {
            // Remember the whole first line with its `\n`, so a longer rewritten header differs.
            const first = Buffer.concat([...pending, Buffer.from('\n')]);
            this.head = Buffer.from(first.subarray(0, HEAD_BYTES));
          }
          emit(pending, lineStart);
        }
        pending = [];
        pendingLength = 0;
        from = nl + 1;
        this.pos = readPos + from;
      }
      if (limited) break;
      const rest = data.subarray(from);
      if (this.discarding) {
        this.pos = readPos + bytesRead;
      } else if (rest.length > 0) {
        pending.push(Buffer.from(rest));
        pendingLength += rest.length;
        if (pendingLength > this.maxLine) {
          oversized++;
          this.discarding = true;
          pending = [];
          pendingLength = 0;
          this.pos = readPos + bytesRead;
        }
      }
      readPos += bytesRead;
      // Dropping an oversized line: its bytes are consumed, so a bounded read may stop inside it.
      if (this.discarding && this.pos >= stopAt) {
        limited = true;
        break;
      }
    }

    if (pendingLength > 0 && !limited && options.takeUnterminated) {
      const text = Buffer.concat(pending).toString('utf8');
      if (options.takeUnterminated(text)) {
        const start = this.pos;
        this.pos += pendingLength;
        emit([Buffer.from(text, 'utf8')], start);
      }
    }
    return { restarted, lines, oversized, consumed: this.pos - startPos, more: limited && this.pos < end };
  }

  private async sameHead(handle: fs.FileHandle): Promise<boolean> {
    const head = this.head;
    if (head === undefined || this.pos === 0) return true;
    const buffer = Buffer.alloc(head.length);
    const { bytesRead } = await handle.read(buffer, 0, head.length, 0);
    return bytesRead === head.length && buffer.equals(head);
  }
}

/** A cell or token as a number: decimal numbers, and `nan`/`inf`/`Infinity` in any case; undefined otherwise. */
export function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const lower = t.toLowerCase();
  switch (lower) {
    case 'nan':
    case '+nan':
    case '-nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
    default:
      break;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  return Number(t);
}

/** Warnings a reader has already given, by kind, so each is given once per file. */
export class WarningLog {
  private readonly given = new Set<string>();

  /** The warning line, or undefined when this kind was already reported for this file. */
  once(file: string, kind: string, message: string): string | undefined {
    const key = `${file}\u0000${kind}`;
    if (this.given.has(key)) return undefined;
    this.given.add(key);
    return `${path.basename(file)}: ${message}`;
  }
}

/** Collects one poll's findings into a LogUpdate. */
export class UpdateBuilder {
  private readonly series = new SeriesCollector();
  private readonly warningLines: string[] = [];
  /** The rewinds of this poll by tag and split, the lowest step of each. */
  private readonly rewinds = new Map<string, { tag: string; split?: string; fromStep: number }>();
  skipped = 0;
  restarted = false;
  /** The read stopped at its byte limit with more in the file. */
  more = false;
  hparams: HyperParameters | undefined;
  run: RunInfo | undefined;

  constructor(private readonly warnings: WarningLog) {}

  /** One point; `wallTime` and `epoch` NaN where the log does not state them. */
  add(tag: string, metric: string, split: string | undefined, step: number, value: number, wallTime: number, epoch: number): void {
    this.series.columns(tag, metric, split).push(step, value, wallTime, epoch);
  }

  /**
   * A resumed run went back to `fromStep`: the points of the series gathered
   * so far from there on are dropped, and the update tells the consumer to
   * drop its own.
   */
  rewind(tag: string, split: string | undefined, fromStep: number): void {
    this.series.dropFrom(tag, split, fromStep);
    const key = `${tag}\u0000${split ?? ''}`;
    const earlier = this.rewinds.get(key);
    if (earlier === undefined) this.rewinds.set(key, split === undefined ? { tag, fromStep } : { tag, split, fromStep });
    else earlier.fromStep = Math.min(earlier.fromStep, fromStep);
  }

  /** Counts `count` skipped items and warns once per file and kind. */
  skip(file: string, kind: string, message: string, count = 1): void {
    if (count <= 0) return;
    this.skipped += count;
    this.warn(file, kind, message);
  }

  warn(file: string, kind: string, message: string): void {
    const line = this.warnings.once(file, kind, message);
    if (line !== undefined) this.warningLines.push(line);
  }

  /** Forget the points gathered so far (the source is read again from the start). */
  clearPoints(): void {
    this.series.clear();
    this.rewinds.clear();
    this.skipped = 0;
  }

  build(): LogUpdate {
    const update: LogUpdate = { scalars: this.series.build(), images: [], texts: [], skipped: this.skipped, warnings: this.warningLines };
    if (this.hparams !== undefined) update.hparams = this.hparams;
    if (this.run !== undefined) update.run = this.run;
    if (this.rewinds.size > 0) update.rewinds = [...this.rewinds.values()];
    if (this.restarted) update.restarted = true;
    if (this.more) update.more = true;
    return update;
  }
}

/** A scalar hyper-parameter value from text (YAML-ish or MLflow params): numbers, booleans, null, else the text. */
export function scalarFromText(text: string): string | number | boolean | null {
  const t = text.trim();
  if (t === '') return '';
  if ((t.startsWith('"') && t.endsWith('"') && t.length >= 2) || (t.startsWith("'") && t.endsWith("'") && t.length >= 2)) {
    const inner = t.slice(1, -1);
    return t.startsWith("'") ? inner.replace(/''/g, "'") : inner.replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  switch (t) {
    case 'null':
    case 'Null':
    case 'NULL':
    case '~':
    case 'None':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
    case '.nan':
    case '.NaN':
    case '.NAN':
      return NaN;
    case '.inf':
    case '.Inf':
    case '+.inf':
      return Infinity;
    case '-.inf':
    case '-.Inf':
      return -Infinity;
    default:
      break;
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
  return t;
}

/**
 * Reads a small side file whole: undefined when it is missing, unreadable or too big, `unchanged`
 * when its size and times equal `previous` (a signature this function returned before).
 */
export async function readSmallFile(
  file: string,
  previous?: string,
  maxBytes = 4 * 1024 * 1024,
): Promise<{ text: string; signature: string } | 'unchanged' | undefined> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile() || stat.size > maxBytes) return undefined;
    const signature = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (signature === previous) return 'unchanged';
    const text = await fs.readFile(file, 'utf8');
    return { text, signature };
  } catch {
    return undefined;
  }
}
