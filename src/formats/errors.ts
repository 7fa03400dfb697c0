/**
 * The one error type the parsers throw for a file they cannot read: its
 * message always starts with the file's base name, then says what is wrong
 * (`model.h5: truncated: ...`), so it can be shown to people as it is.
 */
import * as path from 'node:path';

export class FormatError extends Error {
  override readonly name = 'FormatError';
  /** The file (as given) the problem is about. */
  readonly file: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`${path.basename(file)}: ${problem}`, options);
    this.file = file;
  }
}

/** The text of any thrown value, for wrapping into a FormatError. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** `error` itself when it is already a FormatError, else a FormatError about `file` saying `what` failed. */
export function asFormatError(file: string, what: string, error: unknown): FormatError {
  if (error instanceof FormatError) return error;
  return new FormatError(file, `${what}: ${errorText(error)}`, { cause: error });
}

/** Human size: 1536 -> "1.5 KB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} bytes`;
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
