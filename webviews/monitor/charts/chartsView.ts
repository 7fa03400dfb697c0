/**
 * The grid of metric charts (one to three columns, filling the width). Keeps
 * one MetricChart per metric across updates, so zooms and caches survive
 * live appends; charts scrolled far out of view postpone their work until
 * they show. When there is nothing to draw it says why.
 */
import 'uplot/dist/uPlot.min.css';
import './charts.css';
import type { MonitorViewState, SeriesData } from '../../../src/protocol/monitorView';
import { h } from '../../shared/ui';
import { runOrigin } from './axes';
import { planCharts, type ChartRun, type ChartSeries, type ChartsPlan } from './chartModel';
import type { XRange } from './downsample';
import { MetricChart, type ChartSettings } from './metricChart';
import { readTheme, watchTheme } from './theme';

export type { ChartRun } from './chartModel';

export interface ChartsInput {
  runs: ChartRun[];
  /** Full arrays, all runs (hidden ones too: skipped here). */
  series: ChartSeries[];
  settings: Pick<MonitorViewState, 'smoothing' | 'xAxis' | 'logScale' | 'ignoreOutliers' | 'filter'>;
}

export interface ChartsView {
  /** Re-render with new data/settings; cheap when little changed (called up to a few times a second while training appends). */
  update(input: ChartsInput): void;
  /** Call when the container's size may have changed. */
  resize(): void;
  destroy(): void;
  /** Zooms every chart's x-axis to `range` (undefined: back to the full range). */
  zoomX?(range: XRange | undefined): void;
}

/** How far outside the viewport a chart still counts as on screen (so scrolling finds it drawn). */
const ON_SCREEN_MARGIN = '300px';

/** The start of each run, for the 'relative' x-axis. */
function runOrigins(input: ChartsInput): Map<string, number> {
  const origins = new Map<string, number>();
  if (input.settings.xAxis !== 'relative') return origins;
  const byRun = new Map<string, SeriesData[]>();
  for (const series of input.series) {
    const list = byRun.get(series.runId);
    if (list) list.push(series);
    else byRun.set(series.runId, [series]);
  }
  const started = new Map(input.runs.map((run) => [run.id, run.started]));
  for (const [runId, list] of byRun) origins.set(runId, runOrigin(list, started.get(runId)));
  return origins;
}

function emptyMessage(input: ChartsInput, plan: ChartsPlan): HTMLElement | undefined {
  if (plan.charts.length > 0) return undefined;
  if (input.series.length === 0) {
    return h(
      'div',
      { class: 'charts-empty', 'data-testid': 'charts-empty', role: 'status' },
      h('strong', {}, 'No metrics yet'),
      'Charts appear as soon as a run logs its first value: TensorBoard event files, metrics.jsonl run logs, Lightning or Keras CSV logs and MLflow runs are read as they grow.',
    );
  }
  if (plan.visibleSeries === 0) {
    return h(
      'div',
      { class: 'charts-empty', 'data-testid': 'charts-empty', role: 'status' },
      h('strong', {}, 'Every run is hidden'),
      'Show a run in the Runs tab to draw its metrics.',
    );
  }
  return h(
    'div',
    { class: 'charts-empty', 'data-testid': 'charts-no-match', role: 'status' },
    h('strong', {}, 'No metric matches the filter'),
    `“${input.settings.filter.trim()}” matches none of the ${plan.filteredOut} metrics (plain text or a regular expression, case-insensitive).`,
  );
}

export function createChartsView(container: HTMLElement): ChartsView {
  const grid = h('div', { class: 'charts-grid' });
  const root = h('div', { class: 'charts' }, grid);
  container.append(root);

  const charts = new Map<string, MetricChart>();
  const chartByElement = new Map<Element, MetricChart>();
  let theme = readTheme();
  let themeKey = JSON.stringify(theme);
  let emptyElement: HTMLElement | undefined;

  const stopWatchingTheme = watchTheme(() => {
    const next = readTheme();
    const key = JSON.stringify(next);
    if (key === themeKey) return;
    theme = next;
    themeKey = key;
    for (const chart of charts.values()) chart.setTheme(theme);
  });
  const resizeObserver = new ResizeObserver(() => {
    for (const chart of charts.values()) chart.measure();
  });
  resizeObserver.observe(root);
  const visibility = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) chartByElement.get(entry.target)?.setOnScreen(entry.isIntersecting);
    },
    { rootMargin: ON_SCREEN_MARGIN },
  );

  function removeChart(metric: string, chart: MetricChart): void {
    visibility.unobserve(chart.element);
    chartByElement.delete(chart.element);
    chart.destroy();
    charts.delete(metric);
  }

  return {
    update(input) {
      const settings: ChartSettings = {
        smoothing: input.settings.smoothing,
        xAxis: input.settings.xAxis,
        logScale: input.settings.logScale,
        ignoreOutliers: input.settings.ignoreOutliers,
      };
      const plan = planCharts(input.runs, input.series, input.settings.filter);
      const origins = runOrigins(input);

      const message = emptyMessage(input, plan);
      if (message) {
        if (emptyElement) emptyElement.replaceWith(message);
        else root.prepend(message);
      } else {
        emptyElement?.remove();
      }
      emptyElement = message;

      const wanted = new Set(plan.charts.map((chart) => chart.metric));
      for (const [metric, chart] of charts) if (!wanted.has(metric)) removeChart(metric, chart);
      plan.charts.forEach((chartPlan, index) => {
        let chart = charts.get(chartPlan.metric);
        if (!chart) {
          chart = new MetricChart(chartPlan.metric, theme);
          charts.set(chartPlan.metric, chart);
          chartByElement.set(chart.element, chart);
          visibility.observe(chart.element);
        }
        // In plan order; moves only what is out of place.
        if (grid.children[index] !== chart.element) grid.insertBefore(chart.element, grid.children[index] ?? null);
        chart.update(chartPlan.lines, origins, settings);
      });
    },
    resize() {
      for (const chart of charts.values()) chart.measure();
    },
    destroy() {
      stopWatchingTheme();
      resizeObserver.disconnect();
      visibility.disconnect();
      for (const [metric, chart] of charts) removeChart(metric, chart);
      root.remove();
    },
    zoomX(range) {
      for (const chart of charts.values()) chart.zoomTo(range);
    },
  };
}
