/**
 * A training process's output as lines for an output channel. Progress bars
 * (tqdm) redraw one line with `\r` many times a second: a redrawn line counts
 * once, with the text it has when its `\n` arrives, plus one snapshot per
 * interval while it keeps redrawing, so a bar of thousands of updates gives a
 * handful of lines. Terminal control sequences (colours, the cursor moves of
 * nested bars) are dropped, and a line never grows beyond a bound.
 */

export interface LineSplitterOptions {
  /** Called for each finished line, without its line ending. */
  onLine(line: string): void;
  /** The least time between two snapshots of a line that keeps being redrawn; 0: no snapshots. */
  progressIntervalMs?: number;
  /** A longer line is cut into parts of this length. */
  maxLineLength?: number;
  now?: () => number;
}

const CONTROL_SEQUENCE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f]/g;

/** The text without terminal control sequences and control characters (tabs stay). */
export function stripControlSequences(text: string): string {
  return text.includes('\x1b') || /[\x00-\x08\x0b-\x1f\x7f]/.test(text) ? text.replace(CONTROL_SEQUENCE, '') : text;
}

export class LineSplitter {
  /** The text since the last `\n` or `\r`. */
  private current = '';
  /** A `\r` ended the last chunk: a `\n` may follow (CRLF) or a redraw begins. */
  private carriageReturnPending = false;
  /** When the line being redrawn last gave a snapshot (or began redrawing); undefined: not redrawing. */
  private lastSnapshotAt: number | undefined;
  private lastSnapshot: string | undefined;
  private readonly progressIntervalMs: number;
  private readonly maxLineLength: number;
  private readonly now: () => number;

  constructor(private readonly options: LineSplitterOptions) {
    this.progressIntervalMs = options.progressIntervalMs ?? 10_000;
    this.maxLineLength = Math.max(1, options.maxLineLength ?? 16 * 1024);
    this.now = options.now ?? Date.now;
  }

  feed(chunk: string): void {
    let index = 0;
    while (index < chunk.length) {
      if (this.carriageReturnPending) {
        this.carriageReturnPending = false;
        if (chunk[index] === '\n') {
          this.endLine();
          index++;
          continue;
        }
        this.redraw();
      }
      const lineFeed = chunk.indexOf('\n', index);
      const carriageReturn = chunk.indexOf('\r', index);
      const end = lineFeed < 0 ? carriageReturn : carriageReturn < 0 ? lineFeed : Math.min(lineFeed, carriageReturn);
      if (end < 0) {
        this.append(chunk.slice(index));
        return;
      }
      this.append(chunk.slice(index, end));
      if (chunk[end] === '\n') this.endLine();
      else this.carriageReturnPending = true;
      index = end + 1;
    }
  }

  /** The stream ended: what is left becomes the last line. */
  end(): void {
    const last = this.current;
    const redrawn = this.carriageReturnPending || this.lastSnapshotAt !== undefined;
    // A redrawn line's last state counts unless it was just given as a snapshot.
    if (redrawn ? last.trim() !== '' && last !== this.lastSnapshot : last !== '') this.emit(last);
    this.current = '';
    this.carriageReturnPending = false;
    this.lastSnapshotAt = undefined;
    this.lastSnapshot = undefined;
  }

  private append(text: string): void {
    let rest = text;
    while (this.current.length + rest.length > this.maxLineLength) {
      const room = this.maxLineLength - this.current.length;
      this.emit(this.current + rest.slice(0, room));
      this.current = '';
      rest = rest.slice(room);
    }
    this.current += rest;
  }

  private endLine(): void {
    this.emit(this.current);
    this.current = '';
    this.lastSnapshotAt = undefined;
    this.lastSnapshot = undefined;
  }

  /** A `\r` not followed by `\n`: the text so far is replaced by what comes next. */
  private redraw(): void {
    const now = this.now();
    if (this.lastSnapshotAt === undefined) {
      this.lastSnapshotAt = now;
    } else if (this.progressIntervalMs > 0 && now - this.lastSnapshotAt >= this.progressIntervalMs && this.current.trim() !== '') {
      this.emit(this.current);
      this.lastSnapshotAt = now;
      this.lastSnapshot = this.current;
    }
    this.current = '';
  }

  private emit(line: string): void {
    this.options.onLine(stripControlSequences(line));
  }
}
