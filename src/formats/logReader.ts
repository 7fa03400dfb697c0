/** The shape every training-log reader has: incremental, bounded, pure Node (no vscode). */
import type { LogUpdate, RunFormat } from '../protocol/monitor';

export interface LogReader {
  readonly file: string;
  readonly format: RunFormat;
  /**
   * Reads what was appended since the last call (the first call reads the
   * whole file). A record still being written at the end is left for the
   * next call; a file that shrank or was replaced is read again from the
   * start (`restarted`). Memory is bounded by the largest record, not the file.
   */
  poll(): Promise<LogUpdate>;
}
