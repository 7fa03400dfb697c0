/** What the page's parts share: the summary, the saved view state, and the actions between them. */
import type { ModelSummary } from '../../src/protocol/model';
import type { SummaryViewMessage, SummaryViewState } from '../../src/protocol/summaryView';
import type { TabId, ViewState } from './viewState';

/** The first tab: the layer table, or a graph model's node table. */
export interface LayerListTab {
  readonly element: HTMLElement;
  /** Recomputes the rows after a change of filter, depth or sort. */
  refresh(): void;
  /** Replaces the filter text (in the field too) and refreshes. */
  setFilter(text: string): void;
  select(id: string | undefined, reveal: boolean): void;
  restoreScroll(): void;
}

export interface PageContext {
  readonly summary: ModelSummary;
  /** The latest state from the host (weight statistics and run status change over time). */
  readonly state: () => SummaryViewState;
  /** Mutable UI state; call save() after changing it. */
  readonly view: ViewState;
  save(): void;
  post(message: SummaryViewMessage): void;
  /** Selects a layer everywhere (table row, graph node); undefined clears the selection. */
  select(id: string | undefined): void;
  /** Switches to the layer table and scrolls to the layer, widening depth and filter if they hide it. */
  showInTable(id: string): void;
  setDepth(depth: number | null): void;
  showTab(tab: TabId): void;
}
