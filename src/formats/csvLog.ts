/**
 * CSV training logs, read incrementally:
 *
 * - Keras `CSVLogger`: a header `epoch,<keys sorted>`, one row per epoch,
 *   `NA` for a missing value, `\r\n` line ends, any separator (comma,
 *   semicolon and tab are recognised); in append mode a new header line in
 *   the middle starts a new segment with its own columns. `val_<m>` is metric
 *   `m` on split `val`, any other column split `train`; x is the epoch as
 *   written (0-based).
 * - Lightning `CSVLogger` (`lightning_logs/version_N/metrics.csv`): the header
 *   is the sorted union of keys, rows are sparse, `step` and `epoch` are
 *   columns; `<m>_step` / `<m>_epoch` are metric `m` (the tag keeps the
 *   suffix) and the split a name states (`train_`/`val_`/`test_`, `train/`,
 *   `/val`: src/formats/splitNames.ts) gives the split. A new key
 *   makes Lightning rewrite the whole file under a new header: the reader
 *   starts over. `hparams.yaml` beside it gives the hyper-parameters.
 */
import * as path from 'node:path';
import type { HyperParameters, LogUpdate } from '../protocol/monitor';
import type { LogReader, PollLimit } from './logReader';
import { parseSimpleYaml } from './simpleYaml';
import { splitFromName } from './splitNames';
import { TextTail, UpdateBuilder, WarningLog, parseNumber, readSmallFile } from './textTail';

const SEPARATORS = [',', ';', '\t'] as const;

/** The cells of one CSV line (double quotes as Python's csv writes them), or undefined when the quoting is broken. */
export function splitCsvLine(line: string, separator: string): string[] | undefined {
  const cells: string[] = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  let wasQuoted = false;
  while (i < line.length) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      cell += c;
      i++;
      continue;
    }
    if (c === separator) {
      cells.push(cell);
      cell = '';
      wasQuoted = false;
      i++;
      continue;
    }
    if (c === '"' && cell === '' && !wasQuoted) {
      quoted = true;
      wasQuoted = true;
      i++;
      continue;
    }
    cell += c;
    i++;
  }
  if (quoted) return undefined;
  cells.push(cell);
  return cells;
}

/** The separator a header line uses: the most frequent of comma, semicolon and tab (comma on a tie or none). */
export function detectSeparator(header: string): string {
  let best: string = ',';
  let bestCount = 0;
  for (const sep of SEPARATORS) {
    const count = header.split(sep).length - 1;
    if (count > bestCount) {
      best = sep;
      bestCount = count;
    }
  }
  return best;
}

interface Column {
  tag: string;
  metric: string;
  split: string | undefined;
}

/** What the two CSV readers share: the tail, the header, the bad-input accounting. */
abstract class CsvReaderBase implements LogReader {
  abstract readonly format: 'keras-csv' | 'lightning-csv';
  readonly file: string;
  protected readonly tail: TextTail;
  protected readonly warnings = new WarningLog();
  protected header: string[] | undefined;
  protected separator = ',';
  protected columns: (Column | undefined)[] = [];
  protected rowIndex = 0;

  constructor(file: string) {
    this.file = file;
    this.tail = new TextTail(file);
  }

  protected abstract column(name: string): Column | undefined;
  protected abstract isHeaderLine(cells: string[]): boolean;
  protected abstract row(cells: string[], out: UpdateBuilder): void;
  protected abstract sideFiles(out: UpdateBuilder, restarted: boolean): Promise<void>;

  protected setHeader(line: string): void {
    this.separator = detectSeparator(line);
    const cells = splitCsvLine(line, this.separator) ?? line.split(this.separator);
    this.header = cells.map((cell) => cell.trim());
    this.columns = this.header.map((name) => this.column(name));
  }

  async poll(limit?: PollLimit): Promise<LogUpdate> {
    const out = new UpdateBuilder(this.warnings);
    const read = await this.tail.read((line) => {
      if (line.trim() === '') return;
      if (this.header === undefined) {
        this.setHeader(line);
        return;
      }
      const cells = splitCsvLine(line, this.separator);
      if (cells === undefined) {
        out.skip(this.file, 'quote', 'rows with unbalanced quotes skipped');
        return;
      }
      if (this.isHeaderLine(cells)) {
        this.setHeader(line);
        return;
      }
      if (cells.length !== this.header.length) {
        out.skip(this.file, 'ragged', `rows whose cell count differs from the header (${this.header.length}) skipped`);
        return;
      }
      this.row(cells, out);
      this.rowIndex++;
    }, { onRestart: () => this.onRestart(), maxBytes: limit?.maxBytes });
    if (read.restarted) out.restarted = true;
    out.more = read.more;
    out.skip(this.file, 'long', 'lines longer than 1 MB skipped', read.oversized);
    await this.sideFiles(out, read.restarted);
    return out.build();
  }

  private onRestart(): void {
    this.header = undefined;
    this.columns = [];
    this.rowIndex = 0;
  }

  /** A metric cell: undefined when missing (empty or `NA`) or not a number (then counted). */
  protected cellValue(text: string, out: UpdateBuilder): number | undefined {
    const t = text.trim();
    if (t === '' || t === 'NA') return undefined;
    const value = parseNumber(t);
    if (value === undefined) out.skip(this.file, 'nan-cell', 'cells that are not numbers skipped');
    return value;
  }
}

class KerasCsvReader extends CsvReaderBase {
  readonly format = 'keras-csv' as const;
  private epochColumn = -1;

  protected override setHeader(line: string): void {
    super.setHeader(line);
    this.epochColumn = this.header?.indexOf('epoch') ?? -1;
    this.rowIndex = 0;
  }

  protected column(name: string): Column | undefined {
    if (name === 'epoch') return undefined;
    if (name.startsWith('val_') && name.length > 4) return { tag: name, metric: name.slice(4), split: 'val' };
    return { tag: name, metric: name, split: 'train' };
  }

  protected isHeaderLine(cells: string[]): boolean {
    return cells[0]?.trim() === 'epoch';
  }

  protected row(cells: string[], out: UpdateBuilder): void {
    let epoch = this.rowIndex;
    if (this.epochColumn >= 0) {
      const value = parseNumber(cells[this.epochColumn] ?? '');
      if (value === undefined || !Number.isFinite(value)) {
        out.skip(this.file, 'epoch', 'rows without a numeric epoch skipped');
        return;
      }
      epoch = value;
    }
    cells.forEach((cell, i) => {
      const column = this.columns[i];
      if (!column) return;
      const value = this.cellValue(cell, out);
      if (value === undefined) return;
      out.add(column.tag, column.metric, column.split, epoch, value, NaN, epoch);
    });
  }

  protected async sideFiles(): Promise<void> {}
}

class LightningCsvReader extends CsvReaderBase {
  readonly format = 'lightning-csv' as const;
  private stepColumn = -1;
  private epochColumn = -1;
  private hparamsSignature: string | undefined;
  private hparams: HyperParameters | undefined;

  protected override setHeader(line: string): void {
    super.setHeader(line);
    this.stepColumn = this.header?.indexOf('step') ?? -1;
    this.epochColumn = this.header?.indexOf('epoch') ?? -1;
  }

  protected column(name: string): Column | undefined {
    if (name === 'step' || name === 'epoch') return undefined;
    let base = name;
    if (base.endsWith('_step') && base.length > 5) base = base.slice(0, -5);
    else if (base.endsWith('_epoch') && base.length > 6) base = base.slice(0, -6);
    const { metric, split } = splitFromName(base);
    return { tag: name, metric, split };
  }

  protected isHeaderLine(cells: string[]): boolean {
    return cells.some((cell) => cell.trim() === 'step') && cells.every((cell) => cell.trim() !== '' && parseNumber(cell) === undefined);
  }

  protected row(cells: string[], out: UpdateBuilder): void {
    let step = this.rowIndex;
    if (this.stepColumn >= 0) {
      const value = parseNumber(cells[this.stepColumn] ?? '');
      if (value === undefined || !Number.isFinite(value)) {
        out.skip(this.file, 'step', 'rows without a numeric step skipped');
        return;
      }
      step = value;
    }
    let epoch = NaN;
    if (this.epochColumn >= 0) {
      const value = parseNumber(cells[this.epochColumn] ?? '');
      if (value !== undefined && Number.isFinite(value)) epoch = value;
    }
    cells.forEach((cell, i) => {
      const column = this.columns[i];
      if (!column) return;
      const value = this.cellValue(cell, out);
      if (value === undefined) return;
      out.add(column.tag, column.metric, column.split, step, value, NaN, epoch);
    });
  }

  protected async sideFiles(out: UpdateBuilder, restarted: boolean): Promise<void> {
    const file = path.join(path.dirname(this.file), 'hparams.yaml');
    const read = await readSmallFile(file, this.hparamsSignature);
    if (read === 'unchanged') {
      if (restarted && this.hparams) out.hparams = this.hparams;
      return;
    }
    if (read === undefined) {
      this.hparamsSignature = undefined;
      return;
    }
    this.hparamsSignature = read.signature;
    this.hparams = parseSimpleYaml(read.text);
    out.hparams = this.hparams;
  }
}

/** A reader of a Keras `CSVLogger` file. */
export function createKerasCsvReader(file: string): LogReader {
  return new KerasCsvReader(file);
}

/** A reader of a Lightning `CSVLogger` `metrics.csv` (and the `hparams.yaml` beside it). */
export function createLightningCsvReader(file: string): LogReader {
  return new LightningCsvReader(file);
}
