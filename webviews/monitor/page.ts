/**
 * The Training Monitor page: toolbar, notices, and the tabs (charts, runs,
 * images, hyper-parameters). It holds the latest host data and redraws on
 * the next macrotask after a change, only the tab in view: a few appends a
 * second cost one redraw each, and hidden tabs catch up when shown.
 */
import type { MonitorToView, MonitorViewState, RunView, TrainingProcessView, TrainingScript, ViewToMonitor } from '../../src/protocol/monitorView';
import { button, h, progressRing, setDisabled, tabs, type Tabs } from '../shared/ui';
import { createChartsView, type ChartRun, type ChartsView } from './charts/chartsView';
import { Gallery, MAX_GALLERY_IMAGES } from './gallery';
import { galleryItems } from './galleryItems';
import { HparamsTable } from './hparamsTable';
import { ImageCache } from './imageCache';
import { mainMetricSeries, summariseSeries } from './metrics';
import { Notices } from './notices';
import { ProcessList } from './processList';
import { RunsTable, type RunRowData } from './runsTable';
import { SeriesStore } from './seriesStore';
import { Toolbar } from './toolbar';
import { MONITOR_TABS, setRunHidden, showOnlyRun, visibleRunIds, type MonitorTab } from './viewState';

const TAB_LABELS: Record<MonitorTab, string> = { charts: 'Charts', runs: 'Runs', images: 'Images', hparams: 'Hyper-parameters' };

export interface MonitorPageHost {
  readonly state: MonitorViewState;
  save(): void;
  post(message: ViewToMonitor): void;
}

const nowSeconds = (): number => Date.now() / 1000;

export class MonitorPage {
  readonly element: HTMLElement;
  private readonly store = new SeriesStore();
  private readonly images = new ImageCache();
  private runs: RunView[] = [];
  private scripts: TrainingScript[] = [];
  private processes: TrainingProcessView[] = [];
  private roots: string[] = [];
  private loaded = false;
  private statusKey = '';

  private readonly toolbar: Toolbar;
  private readonly notices = new Notices();
  private readonly tabStrip: Tabs;
  private readonly charts: ChartsView;
  private readonly chartsStatus = h('div', { class: 'charts-status', 'data-testid': 'charts-status' });
  private readonly chartsContainer = h('div', { class: 'charts-container' });
  private readonly runsSummary = h('span', { class: 'muted runs-summary', 'data-testid': 'runs-summary' });
  private readonly showAllButton: HTMLElement;
  private readonly processList: ProcessList;
  private readonly runsTable: RunsTable;
  private readonly gallery: Gallery;
  private readonly hparams = new HparamsTable();

  /** Tabs whose content is out of date; each redraws when next in view. */
  private readonly stale = new Set<MonitorTab>(MONITOR_TABS);
  private renderTimer: number | undefined;

  constructor(private readonly host: MonitorPageHost) {
    const state = host.state;
    this.toolbar = new Toolbar({
      state,
      settingsChanged: () => {
        host.save();
        this.invalidate(['charts']);
      },
      post: host.post,
      exportRunIds: () => this.visibleIds(),
    });
    this.charts = createChartsView(this.chartsContainer);
    this.processList = new ProcessList(host.post);
    this.runsTable = new RunsTable({
      setVisible: (runId, visible) => this.setHiddenRuns(setRunHidden(state.hiddenRuns, runId, !visible)),
      showOnly: (runId) => this.setHiddenRuns(showOnlyRun(state.hiddenRuns, this.runs, runId)),
      post: host.post,
    });
    this.gallery = new Gallery(host.post);
    this.showAllButton = button('Show All', () => this.setHiddenRuns([]), { testId: 'show-all-runs', title: 'Show every run in the charts' });

    const contents: Record<MonitorTab, HTMLElement> = {
      charts: h('div', { class: 'tab-content fill charts-tab' }, this.chartsStatus, this.chartsContainer),
      runs: h(
        'div',
        { class: 'tab-content fill runs-tab' },
        h('div', { class: 'toolbar runs-toolbar' }, this.runsSummary, this.showAllButton),
        this.processList.element,
        this.runsTable.element,
      ),
      images: this.gallery.element,
      hparams: this.hparams.element,
    };
    this.tabStrip = tabs(
      MONITOR_TABS.map((id) => ({ id, label: TAB_LABELS[id], testId: `tab-${id}`, content: contents[id] })),
      state.tab,
      (id) => this.onTabChanged(id as MonitorTab),
      'Training monitor views',
    );
    this.element = h('div', { class: 'monitor-page' }, this.toolbar.element, this.notices.element, this.tabStrip.element);
    this.renderStatus();
    this.toolbar.update();
    setDisabled(this.showAllButton, true);
  }

  handle(message: MonitorToView): void {
    switch (message.type) {
      case 'snapshot':
        this.loaded = true;
        this.images.clear();
        this.runs = Array.isArray(message.runs) ? this.images.fill(message.runs) : [];
        this.store.applySnapshot(Array.isArray(message.series) ? message.series : []);
        this.store.retainRuns(this.runs.map((run) => run.id));
        this.scripts = Array.isArray(message.scripts) ? message.scripts : [];
        this.roots = Array.isArray(message.roots) ? message.roots : [];
        this.setProcesses(message.processes);
        this.invalidate(MONITOR_TABS);
        break;
      case 'runs':
        this.runs = Array.isArray(message.runs) ? this.images.fill(message.runs) : [];
        this.store.retainRuns(this.runs.map((run) => run.id));
        this.invalidate(MONITOR_TABS);
        break;
      case 'append': {
        const result = this.store.applyAppend(Array.isArray(message.series) ? message.series : []);
        if (result.resync) this.host.post({ type: 'resync' });
        if (result.changed) this.invalidate(['charts', 'runs']);
        break;
      }
      case 'scripts':
        this.scripts = Array.isArray(message.scripts) ? message.scripts : [];
        this.renderStatus();
        break;
      case 'processes':
        this.setProcesses(message.processes);
        break;
      case 'notice':
        this.notices.add(message.level, message.text);
        break;
    }
  }

  /** Call once the page is in the document. */
  mounted(): void {
    this.scheduleRender();
  }

  /** Redraws the charts for a new panel size. */
  resize(): void {
    if (this.host.state.tab === 'charts') this.charts.resize();
  }

  /** Refreshes what changes with the clock: durations of running runs and processes. */
  tick(): void {
    const now = nowSeconds();
    this.processList.tick(now);
    if (this.host.state.tab === 'runs') this.runsTable.tick(now);
  }

  private setProcesses(processes: TrainingProcessView[] | undefined): void {
    this.processes = Array.isArray(processes) ? processes : [];
    this.processList.update(this.processes, nowSeconds());
  }

  private visibleIds(): string[] {
    return visibleRunIds(this.runs, this.host.state.hiddenRuns);
  }

  private setHiddenRuns(hiddenRuns: string[]): void {
    this.host.state.hiddenRuns = hiddenRuns;
    this.host.save();
    this.invalidate(MONITOR_TABS);
  }

  private onTabChanged(tab: MonitorTab): void {
    this.host.state.tab = tab;
    this.host.save();
    // Render at once: the tab shows now, and a chart drawn while hidden had no size.
    this.renderTab(tab);
    if (tab === 'charts') this.charts.resize();
  }

  private invalidate(tabs: readonly MonitorTab[]): void {
    for (const tab of tabs) this.stale.add(tab);
    this.scheduleRender();
  }

  private scheduleRender(): void {
    if (this.renderTimer !== undefined) return;
    this.renderTimer = window.setTimeout(() => {
      this.renderTimer = undefined;
      this.render();
    }, 0);
  }

  private render(): void {
    this.toolbar.update();
    this.renderStatus();
    const hidden = this.host.state.hiddenRuns.length > 0 && this.runs.some((run) => this.host.state.hiddenRuns.includes(run.id));
    setDisabled(this.showAllButton, !hidden);
    this.renderTab(this.host.state.tab);
  }

  private renderTab(tab: MonitorTab): void {
    if (!this.stale.has(tab)) return;
    this.stale.delete(tab);
    const visible = new Set(this.visibleIds());
    if (tab === 'charts') this.renderCharts(visible);
    else if (tab === 'runs') this.runsTable.update(this.runRows(visible), nowSeconds());
    else if (tab === 'images') this.gallery.update(galleryItems(this.runs, visible, MAX_GALLERY_IMAGES), nowSeconds());
    else this.hparams.update(this.runs.filter((run) => visible.has(run.id)));
  }

  private renderCharts(visible: ReadonlySet<string>): void {
    const state = this.host.state;
    const listed = new Set(this.runs.map((run) => run.id));
    this.charts.update({
      runs: this.runs.map((run) => {
        const chartRun: ChartRun = { id: run.id, name: run.name, colour: run.colour, visible: visible.has(run.id) };
        if (run.started !== undefined) chartRun.started = run.started;
        return chartRun;
      }),
      series: this.store.all().filter((series) => listed.has(series.runId)),
      settings: { smoothing: { ...state.smoothing }, xAxis: state.xAxis, logScale: state.logScale, ignoreOutliers: state.ignoreOutliers, filter: state.filter },
    });
  }

  private runRows(visible: ReadonlySet<string>): RunRowData[] {
    const byRun = new Map<string, ReturnType<SeriesStore['all']>>();
    for (const series of this.store.all()) {
      const list = byRun.get(series.runId) ?? [];
      list.push(series);
      byRun.set(series.runId, list);
    }
    return this.runs.map((run) => ({
      run,
      visible: visible.has(run.id),
      metrics: mainMetricSeries(byRun.get(run.id) ?? []).map((series) => summariseSeries(series, this.store.extremes(series.key) ?? { min: Number.NaN, max: Number.NaN })),
    }));
  }

  /** The line above the charts and the runs table: loading, nothing found, or counts. */
  private renderStatus(): void {
    const total = this.runs.length;
    const shown = this.visibleIds().length;
    this.runsSummary.textContent = `${total} run${total === 1 ? '' : 's'}${shown < total ? `, ${total - shown} hidden` : ''}`;
    const status = !this.loaded ? 'loading' : total === 0 ? `empty\u0000${this.roots.join('\u0000')}\u0000${this.scripts.length}` : shown === 0 ? 'all-hidden' : 'charts';
    if (status !== this.statusKey) {
      this.statusKey = status;
      this.chartsStatus.replaceChildren(...this.statusContent(total, shown));
    }
    this.chartsContainer.hidden = !this.loaded || total === 0;
  }

  private statusContent(total: number, shown: number): HTMLElement[] {
    if (!this.loaded) return [h('div', { class: 'loading' }, progressRing('Looking for training runs'), h('span', {}, 'Looking for training runs…'))];
    if (total === 0) {
      const where = this.roots.length > 0 ? `in ${this.roots.join(', ')}` : 'in this workspace';
      const scripts = this.scripts.length;
      return [
        h(
          'div',
          { class: 'empty-state', 'data-testid': 'monitor-empty' },
          h('p', {}, `No training runs found ${where}.`),
          h(
            'p',
            { class: 'muted' },
            'The monitor reads TensorBoard event files, Keras CSVLogger and Lightning CSV logs, MLflow runs and this extension’s run logs (metrics.jsonl), and follows them as they grow. ',
            scripts > 0 ? `Start Training… runs one of the ${scripts} training script${scripts === 1 ? '' : 's'} found here.` : 'Start Training… runs a training script.',
          ),
        ),
      ];
    }
    if (shown === 0) {
      return [
        h(
          'div',
          { class: 'empty-state all-hidden' },
          h('span', { class: 'muted' }, 'Every run is hidden.'),
          button('Show All Runs', () => this.setHiddenRuns([]), { testId: 'charts-show-all' }),
        ),
      ];
    }
    return [];
  }
}
