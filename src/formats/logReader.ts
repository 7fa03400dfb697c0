/** The shape every training-log reader has: incremental, bounded, pure Node (no vscode). */
import type { LogUpdate, RunFormat } from '../protocol/monitor';

export interface PollLimit {
  /**
   * Stop after about this many bytes of the file (at the first record or line
   * boundary past it) and set `more`: bounds the points one poll holds.
   */
  maxBytes?: number;
}

export interface LogReader {
  readonly file: string;
  readonly format: RunFormat;
  /**
   * Reads what was appended since the last call (the first call reads the
   * whole file). A record still being written at the end is left for the
   * next call; a file that shrank or was replaced is read again from the
   * start (`restarted`). Memory is bounded by the largest record, not the
   * file, plus the points of what the poll read (`limit` bounds that).
   */
  poll(limit?: PollLimit): Promise<LogUpdate>;
}
