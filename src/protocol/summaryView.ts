/** Messages between the host and the Model Summary webview (one per open model file). */
import type { ModelSummary, RunOptions, RunResult, WeightStats } from './model';

/** What the page shows; the host keeps it and replays it when the page (re)loads. */
export interface SummaryViewState {
  /** The file's name and workspace-relative path, for the title. */
  fileName: string;
  relativePath: string;
  status: 'loading' | 'ready' | 'failed';
  summary?: ModelSummary;
  /** Set when parsing failed: names the file and the problem. */
  error?: string;
  weightStats?: { status: 'loading' | 'ready' | 'failed'; stats?: WeightStats[]; error?: string };
  run?: { status: 'running' | 'ready' | 'failed'; result?: RunResult; error?: string };
}

export type SummaryHostMessage =
  | { type: 'state'; state: SummaryViewState }
  /** The answer to a `copy` request: the text went to the clipboard. */
  | { type: 'copied'; format: CopyFormat };

export type CopyFormat = 'text' | 'markdown' | 'json';

export type SummaryViewMessage =
  | { type: 'ready' }
  | { type: 'run'; options: RunOptions }
  /** The page formats the text (it has the summary); the host writes it to the clipboard. */
  | { type: 'copy'; format: CopyFormat; text: string }
  | { type: 'reopenAsText' }
  | { type: 'reload' };
