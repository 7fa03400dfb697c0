/**
 * The worker's open model files: each is parsed once, analysed once and
 * rebuilt in TF.js at most once, until the file changes on disk. A few
 * recently used files stay open; older ones are closed to bound memory.
 */
import { stat } from 'node:fs/promises';
import { FormatError, errorText } from '../formats/errors';
import { openModel } from '../formats/open';
import type { ParsedModel } from '../formats/types';
import type { ModelSummary, RunOptions, RunResult, WeightStats } from '../protocol/model';
import { analyseModel } from './analysis';
import { disposeRebuilt, rebuildModel, unsupportedClasses, type RebuiltModel } from './rebuild';
import { runModel } from './run';
import { weightStatistics } from './weightStats';

interface Entry {
  /** mtime and size when parsed: a change means parse again. */
  stamp: string;
  parsed: ParsedModel;
  summary: ModelSummary;
  weightStats?: Promise<WeightStats[]>;
  rebuilt?: Promise<{ model: RebuiltModel; ms: number }>;
}

async function stampOf(file: string): Promise<string> {
  try {
    const info = await stat(file);
    return `${info.mtimeMs}:${info.size}`;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new FormatError(file, code === 'ENOENT' ? 'no such file' : `cannot read: ${errorText(error)}`);
  }
}

export class ModelStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity = 4) {}

  private async entry(file: string): Promise<Entry> {
    const stamp = await stampOf(file);
    const cached = this.entries.get(file);
    if (cached && cached.stamp === stamp) {
      // Most recently used last.
      this.entries.delete(file);
      this.entries.set(file, cached);
      return cached;
    }
    if (cached) this.close(file);
    const started = performance.now();
    const parsed = await openModel(file);
    let summary: ModelSummary;
    try {
      summary = analyseModel(parsed, 0);
      summary.unsupportedLayers = unsupportedClasses(parsed);
    } catch (error) {
      parsed.close();
      throw error;
    }
    summary.parseMs = Math.round((performance.now() - started) * 10) / 10;
    const created: Entry = { stamp, parsed, summary };
    this.entries.set(file, created);
    this.evict();
    return created;
  }

  private evict(): void {
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) return;
      this.close(oldest);
    }
  }

  async summary(file: string): Promise<ModelSummary> {
    return (await this.entry(file)).summary;
  }

  async weightStats(file: string): Promise<WeightStats[]> {
    const entry = await this.entry(file);
    entry.weightStats ??= weightStatistics(entry.parsed);
    return entry.weightStats;
  }

  async run(file: string, options: RunOptions): Promise<RunResult> {
    const entry = await this.entry(file);
    if (!entry.rebuilt) {
      const started = performance.now();
      entry.rebuilt = rebuildModel(entry.parsed).then((model) => ({ model, ms: performance.now() - started }));
      // A failed rebuild is not cached: the next Run tries again.
      entry.rebuilt.catch(() => (entry.rebuilt = undefined));
    }
    const { model, ms } = await entry.rebuilt;
    return runModel(model, options, ms);
  }

  close(file: string): void {
    const entry = this.entries.get(file);
    if (!entry) return;
    this.entries.delete(file);
    entry.parsed.close();
    void entry.rebuilt?.then(({ model }) => disposeRebuilt(model), () => undefined);
  }

  closeAll(): void {
    for (const file of [...this.entries.keys()]) this.close(file);
  }
}
