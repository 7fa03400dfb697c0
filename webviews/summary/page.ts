/**
 * The page for a parsed model: header, then the tabs that fit the file
 * (layers/nodes, weights, graph, run), and the selection they share.
 * Host state updates (weight statistics, run progress) refresh the parts
 * in place, so scroll, focus and the graph's pan/zoom survive them.
 */
import type { ModelSummary } from '../../src/protocol/model';
import type { CopyFormat, SummaryViewMessage, SummaryViewState } from '../../src/protocol/summaryView';
import { h, tabs, type Tabs } from '../shared/ui';
import { contentsTable } from './contentsTable';
import type { LayerListTab, PageContext } from './context';
import { layerDiagram, opDiagram } from './graphModel';
import { GraphTab } from './graphTab';
import { header, type Header } from './header';
import { LayersTab } from './layersTab';
import { NodesTab } from './nodesTab';
import { RunTab } from './runTab';
import { availableTabs, type TabId, type ViewState } from './viewState';
import { WeightsTab } from './weightsTab';

const TAB_LABELS: Record<TabId, string> = { layers: 'Layers', weights: 'Weights', graph: 'Graph', run: 'Run' };

export interface PageHost {
  view: ViewState;
  save(): void;
  post(message: SummaryViewMessage): void;
}

/** A key that changes when the host sends a different summary (the file changed or was re-read). */
export function summaryKey(summary: ModelSummary): string {
  return `${summary.file}\u0000${summary.fileBytes}\u0000${summary.parseMs}\u0000${summary.layers.length}\u0000${summary.weights.length}`;
}

export class SummaryPage {
  readonly element: HTMLElement;
  readonly key: string;
  private state: SummaryViewState;
  private readonly context: PageContext;
  private readonly header: Header;
  private readonly tabIds: TabId[];
  private tabStrip: Tabs | undefined;
  private layersTab: LayerListTab | undefined;
  private weightsTab: WeightsTab | undefined;
  private graphTab: GraphTab | undefined;
  private runTab: RunTab | undefined;

  constructor(summary: ModelSummary, state: SummaryViewState, host: PageHost) {
    this.key = summaryKey(summary);
    this.state = state;
    const view = host.view;
    this.context = {
      summary,
      state: () => this.state,
      view,
      save: host.save,
      post: host.post,
      select: (id) => this.select(id),
      showInTable: (id) => this.showInTable(id),
      setDepth: (depth) => this.setDepth(depth),
      showTab: (tab) => this.showTab(tab),
    };
    this.header = header(this.context, state.fileName, state.relativePath);
    this.tabIds = availableTabs(summary);
    if (!this.tabIds.includes(view.tab) && this.tabIds[0]) view.tab = this.tabIds[0];

    const body = this.createBody(summary);
    this.element = h('div', { class: 'summary-page' }, this.header.element, body);
  }

  private createBody(summary: ModelSummary): HTMLElement {
    if (this.tabIds.length === 0) return contentsTable(summary.contents ?? []);
    const contents: Partial<Record<TabId, HTMLElement>> = {};
    for (const id of this.tabIds) {
      if (id === 'layers') {
        this.layersTab = summary.graph && summary.layers.length === 0 ? new NodesTab(this.context, summary.graph.nodes) : new LayersTab(this.context);
        contents.layers = this.layersTab.element;
      } else if (id === 'weights') {
        this.weightsTab = new WeightsTab(this.context);
        contents.weights = this.weightsTab.element;
      } else if (id === 'graph') {
        const graph = summary.graph;
        const diagramFor = graph && summary.layers.length === 0 ? () => opDiagram(graph.nodes) : (depth: number | null) => layerDiagram(summary.layers, depth);
        this.graphTab = new GraphTab(this.context, diagramFor);
        contents.graph = this.graphTab.element;
      } else {
        this.runTab = new RunTab(this.context);
        contents.run = this.runTab.element;
      }
    }
    const label = (id: TabId): string => (id === 'layers' && summary.graph && summary.layers.length === 0 ? 'Nodes' : TAB_LABELS[id]);
    this.tabStrip = tabs(
      this.tabIds.map((id) => ({ id, label: label(id), testId: `tab-${id}`, content: contents[id] as HTMLElement })),
      this.context.view.tab,
      (id) => this.onTabChanged(id as TabId),
      'Model summary views',
    );
    return this.tabStrip.element;
  }

  /** Call once the page is in the document: restores the shown tab's scroll position, lays out the graph if it shows. */
  mounted(): void {
    const view = this.context.view;
    if (view.selected !== undefined) this.layersTab?.select(view.selected, false);
    // After the toolkit has shown the active tab: a hidden element cannot take a scroll position.
    requestAnimationFrame(() => this.restoreScrollOnce(view.tab));
    if (view.tab === 'graph') this.graphTab?.activate();
  }

  private readonly scrollRestored = new Set<TabId>();

  /** Puts a tab back where the saved state had it scrolled, the first time it shows. */
  private restoreScrollOnce(tab: TabId): void {
    if (this.scrollRestored.has(tab)) return;
    this.scrollRestored.add(tab);
    if (tab === 'layers') this.layersTab?.restoreScroll();
    else if (tab === 'weights') this.weightsTab?.restoreScroll();
    else if (tab === 'run') this.runTab?.restoreScroll();
  }

  /** Takes a new host state for the same summary. */
  update(state: SummaryViewState): void {
    this.state = state;
    this.header.update(state.run?.status === 'ready' ? state.run.result : undefined);
    this.weightsTab?.update();
    this.runTab?.update();
  }

  copied(format: CopyFormat): void {
    this.header.copied(format);
  }

  private onTabChanged(tab: TabId): void {
    this.context.view.tab = tab;
    this.context.save();
    this.restoreScrollOnce(tab);
    if (tab === 'graph') this.graphTab?.activate();
    if (tab === 'layers' && this.context.view.selected !== undefined) this.layersTab?.select(this.context.view.selected, true);
  }

  private showTab(tab: TabId): void {
    if (!this.tabIds.includes(tab)) return;
    this.tabStrip?.select(tab);
    this.onTabChanged(tab);
  }

  private select(id: string | undefined): void {
    this.context.view.selected = id;
    this.context.save();
    this.layersTab?.select(id, this.context.view.tab === 'layers');
    this.graphTab?.select(id);
  }

  private setDepth(depth: number | null): void {
    if (this.context.view.depth === depth) return;
    this.context.view.depth = depth;
    this.context.save();
    this.layersTab?.refresh();
    this.graphTab?.onDepthChanged();
  }

  private showInTable(id: string): void {
    const { view, summary } = this.context;
    const layer = summary.layers.find((candidate) => candidate.id === id);
    // Widen what the table shows until the row is in it.
    if (layer && view.depth !== null && layer.depth > view.depth) this.setDepth(layer.depth);
    if (view.layerFilter) this.layersTab?.setFilter('');
    this.showTab('layers');
    this.select(id);
    this.layersTab?.select(id, true);
  }
}
