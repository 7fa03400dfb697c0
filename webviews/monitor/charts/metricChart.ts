/**
 * One metric's chart: a uPlot canvas with every visible run's lines (train
 * solid, validation dashed, test dotted, in the run's colour), faint raw
 * lines under solid smoothed ones when smoothing is on, red marks at the
 * plot's edges where values are NaN or infinite, and a read-out table of
 * each line's value at the cursor (its latest value otherwise).
 *
 * Drawing works on a reduced copy of the visible range (downsample.ts),
 * picked on every zoom, pan or resize from each line's pyramid (kept, like
 * its smoothing, in a LineCache and continued over appended points); the
 * series' arrays are never changed. Drag selects an x-range to zoom, the wheel zooms around the
 * cursor, Shift+drag or middle-drag pans, double-click shows everything
 * again. A zoom survives appended points; the full view follows them.
 */
import uPlot from 'uplot';
import { button, h } from '../../shared/ui';
import { alignTables, type LineTable } from './align';
import { DURATION_INCREMENTS, X_AXIS_LABELS, xExtent, type LineCoords, type XAxisMode } from './axes';
import { splitKind, type ChartLine } from './chartModel';
import { downsampleSummarised, nearestIndex, visibleSlice, type Marker, type XRange } from './downsample';
import { formatCompact, formatDuration, formatLogTick, formatTick, formatValue, formatX } from './format';
import { LineCache } from './lineCache';
import type { SmoothedValues } from './lineSmoother';
import { robustRange, SAMPLE_LIMIT, strideSample } from './outliers';
import { smoothingActive, smoothingSpan, type Smoothing } from './smoothing';
import type { ChartTheme } from './theme';
import { coversFull, drawableRange, keepZoom, panBy, zoomAround } from './zoom';

export interface ChartSettings {
  smoothing: Smoothing;
  xAxis: XAxisMode;
  logScale: boolean;
  ignoreOutliers: boolean;
}

const PLOT_HEIGHT = 240;
const RAW_ALPHA_WHEN_SMOOTHED = 0.25;
/** Wheel zoom per pixel of wheel travel (a mouse notch is ~100 px: 22%). */
const WHEEL_ZOOM_PER_PIXEL = 0.002;
/** Lines with fewer drawn points than this many px each show their points. */
const POINT_SPACING_PX = 8;
const INTERACTION_HELP = 'Drag to zoom, wheel to zoom around the pointer, Shift+drag or middle-drag to pan, double-click to show everything.';

interface DrawnLine {
  line: ChartLine;
  coords: LineCoords;
  smoothed?: SmoothedValues;
  /** Points handed to uPlot in the last render. */
  drawnPoints: number;
}

interface ReadoutRow {
  row: HTMLElement;
  x: HTMLElement;
  raw: HTMLElement;
  smoothed?: HTMLElement;
}

/** What the last update drew from, to skip updates that change nothing. */
interface InputSignature {
  settings: string;
  origins: number[];
  lines: Array<{ line: ChartLine; values: Float64Array; length: number }>;
}

function sameInputs(a: InputSignature | undefined, b: InputSignature): boolean {
  if (!a || a.settings !== b.settings || a.lines.length !== b.lines.length) return false;
  for (let i = 0; i < b.lines.length; i++) {
    const before = a.lines[i] as InputSignature['lines'][number];
    const after = b.lines[i] as InputSignature['lines'][number];
    if (
      before.line.series !== after.line.series ||
      before.values !== after.values ||
      before.length !== after.length ||
      before.line.run.colour !== after.line.run.colour ||
      before.line.label !== after.line.label ||
      !Object.is(a.origins[i], b.origins[i])
    ) {
      return false;
    }
  }
  return true;
}

const measureContext = (): CanvasRenderingContext2D | null => document.createElement('canvas').getContext('2d');

export class MetricChart {
  readonly element: HTMLElement;
  private readonly badges: HTMLElement;
  private readonly resetButton: HTMLElement;
  private readonly plotHost: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly readoutCaption: HTMLElement;
  private readonly cache = new LineCache();
  private readonly measurer = measureContext();
  private plot: uPlot | undefined;
  private structureKey = '';
  private signature: InputSignature | undefined;
  private settings: ChartSettings | undefined;
  private drawn: DrawnLine[] = [];
  private readoutRows: ReadoutRow[] = [];
  private markers: Marker[] = [];
  private full: XRange | undefined;
  private zoom: XRange | undefined;
  private appliedRange: XRange | undefined;
  private robust: { min: number; max: number } | undefined;
  private width = 0;
  private applying = false;
  private renderQueued = false;
  private frame = 0;
  private stopPan: (() => void) | undefined;
  private pending: { lines: ChartLine[]; origins: Map<string, number>; settings: ChartSettings } | undefined;
  private onScreen = true;

  constructor(
    readonly metric: string,
    private theme: ChartTheme,
  ) {
    this.badges = h('span', { class: 'chart-badges' });
    this.resetButton = button('Reset zoom', () => this.zoomTo(undefined), { testId: 'chart-reset-zoom', title: 'Show the full x-range again (or double-click the chart)' });
    this.resetButton.hidden = true;
    this.plotHost = h('div', { class: 'chart-plot', 'aria-label': `${metric}: ${INTERACTION_HELP}`, role: 'img' });
    this.readoutCaption = h('caption', { class: 'visually-hidden' }, 'Latest values');
    this.readout = h('table', { class: 'chart-readout' }, this.readoutCaption);
    this.element = h(
      'section',
      { class: 'chart-card', 'data-testid': 'chart', 'data-metric': metric, 'data-points': '0' },
      h('header', { class: 'chart-header' }, h('h3', { class: 'chart-title', title: `${metric}\n${INTERACTION_HELP}` }, metric), this.badges, h('span', { class: 'spacer' }), this.resetButton),
      this.plotHost,
      this.readout,
    );
  }

  /** New lines or settings. Cheap when nothing changed; deferred while the chart is scrolled out of view. */
  update(lines: ChartLine[], origins: Map<string, number>, settings: ChartSettings): void {
    this.element.setAttribute('data-points', String(lines.reduce((sum, line) => sum + line.series.values.length, 0)));
    if (!this.onScreen) {
      this.pending = { lines, origins, settings };
      return;
    }
    this.pending = undefined;
    const signature: InputSignature = {
      settings: JSON.stringify(settings),
      origins: lines.map((line) => origins.get(line.run.id) ?? NaN),
      lines: lines.map((line) => ({ line, values: line.series.values, length: line.series.values.length })),
    };
    if (sameInputs(this.signature, signature)) return;
    this.signature = signature;

    if (this.settings?.xAxis !== settings.xAxis) this.zoom = undefined;
    this.settings = settings;
    const mode = settings.xAxis;
    const drawn: DrawnLine[] = lines.map((line, index) => ({
      line,
      coords: this.cache.coords(line.series, mode, signature.origins[index] as number),
      drawnPoints: 0,
    }));
    this.cache.retain(new Set(lines.map((line) => line.key)));
    this.full = xExtent(drawn.map((item) => item.coords));
    if (smoothingActive(settings.smoothing)) {
      // One smoothing window for the whole chart, so runs compare like with like.
      const span = smoothingSpan(this.full ? this.full.max - this.full.min : 0);
      for (const item of drawn) item.smoothed = this.cache.smoothed(item.line.key, settings.smoothing, span);
    }
    this.drawn = drawn;
    this.zoom = keepZoom(this.zoom, this.full);
    this.updateBadges();

    const structure = this.structure();
    if (structure !== this.structureKey || !this.plot) {
      this.structureKey = structure;
      this.rebuild();
    } else {
      this.render();
    }
  }

  /** Tells the chart whether it is on screen; work skipped meanwhile is done when it shows. */
  setOnScreen(onScreen: boolean): void {
    this.onScreen = onScreen;
    if (onScreen && this.pending) this.update(this.pending.lines, this.pending.origins, this.pending.settings);
    if (onScreen) this.measure();
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    this.structureKey = '';
    if (this.settings) this.rebuild();
  }

  /** Fits the plot to its box after a layout change. */
  measure(): void {
    const width = Math.floor(this.plotHost.clientWidth);
    if (width <= 0 || width === this.width) return;
    this.width = width;
    if (!this.plot) {
      if (this.settings) this.rebuild();
      return;
    }
    this.plot.setSize({ width, height: PLOT_HEIGHT });
    this.render();
  }

  /** Zooms the x-axis to `range` (undefined: the full range), redrawing now. */
  zoomTo(range: XRange | undefined): void {
    this.zoom = range ? keepZoom(range, this.full) : undefined;
    this.render();
  }

  destroy(): void {
    this.stopPan?.();
    cancelAnimationFrame(this.frame);
    this.plot?.destroy();
    this.plot = undefined;
    this.element.remove();
  }

  private structure(): string {
    const settings = this.settings as ChartSettings;
    return JSON.stringify([
      settings.xAxis,
      settings.logScale,
      settings.ignoreOutliers,
      smoothingActive(settings.smoothing),
      this.drawn.map(({ line }) => [line.key, line.run.colour, line.label, line.dash]),
    ]);
  }

  private updateBadges(): void {
    const settings = this.settings as ChartSettings;
    const nonFinite = this.drawn.reduce((sum, item) => sum + item.coords.nonFinite, 0);
    const nonPositive = settings.logScale ? this.drawn.reduce((sum, item) => sum + item.coords.nonPositive, 0) : 0;
    const badges: HTMLElement[] = [];
    if (nonFinite > 0) {
      badges.push(
        h(
          'span',
          {
            class: 'chart-badge error',
            'data-testid': 'chart-nonfinite',
            title: `${nonFinite.toLocaleString('en-US')} value${nonFinite === 1 ? ' is' : 's are'} NaN or infinite: marked in red at the top edge (NaN ◆, +Inf ▲) or the bottom edge (−Inf ▼) at their x.`,
          },
          `${nonFinite.toLocaleString('en-US')} NaN/Inf`,
        ),
      );
    }
    if (nonPositive > 0) {
      badges.push(
        h(
          'span',
          {
            class: 'chart-badge',
            'data-testid': 'chart-log-dropped',
            title: `${nonPositive.toLocaleString('en-US')} value${nonPositive === 1 ? ' is' : 's are'} zero or negative: a log scale cannot draw ${nonPositive === 1 ? 'it' : 'them'}.`,
          },
          `${nonPositive.toLocaleString('en-US')} ≤ 0 not drawn`,
        ),
      );
    }
    this.badges.replaceChildren(...badges);
  }

  private rebuild(): void {
    this.stopPan?.();
    this.plot?.destroy();
    this.plot = undefined;
    this.rebuildReadout();
    const width = Math.floor(this.plotHost.clientWidth);
    if (width <= 0) return; // measure() builds it once the chart has a size.
    this.width = width;
    const plot = new uPlot(this.options(width), this.emptyData(), this.plotHost);
    this.plot = plot;
    plot.over.addEventListener('wheel', (event) => this.onWheel(event), { passive: false });
    plot.over.addEventListener('mousedown', (event) => this.onPanStart(event));
    this.render();
  }

  private emptyData(): uPlot.AlignedData {
    const columns = this.drawn.reduce((sum, item) => sum + (item.smoothed ? 2 : 1), 0);
    return [new Float64Array(0), ...Array.from({ length: columns }, () => [] as number[])];
  }

  private options(width: number): uPlot.Options {
    const settings = this.settings as ChartSettings;
    const smoothed = smoothingActive(settings.smoothing);
    const series: uPlot.Series[] = [{ label: X_AXIS_LABELS[settings.xAxis] }];
    this.drawn.forEach((item, index) => {
      const colour = item.line.run.colour || this.theme.foreground;
      series.push({
        label: item.line.label,
        stroke: colour,
        width: smoothed ? 1 : 1.5,
        alpha: smoothed ? RAW_ALPHA_WHEN_SMOOTHED : 1,
        dash: item.line.dash,
        spanGaps: true,
        points: { show: () => this.isSparse(index), size: 5, width: 1, fill: colour, stroke: colour },
      });
      if (smoothed) {
        series.push({ label: `${item.line.label} (smoothed)`, stroke: colour, width: 1.75, dash: item.line.dash, spanGaps: true, points: { show: false } });
      }
    });

    const axis = (): uPlot.Axis => ({
      stroke: () => this.theme.foreground,
      font: this.theme.font,
      grid: { stroke: () => this.theme.grid, width: 1 },
      ticks: { stroke: () => this.theme.grid, width: 1, size: 4 },
    });
    const xAxis: uPlot.Axis = { ...axis(), space: 70 };
    if (settings.xAxis === 'step') xAxis.values = (_plot, splits) => splits.map(formatCompact);
    if (settings.xAxis === 'relative') {
      xAxis.values = (_plot, splits) => splits.map(formatDuration);
      xAxis.incrs = DURATION_INCREMENTS;
    }
    const yAxis: uPlot.Axis = {
      ...axis(),
      size: (_plot, values) => this.yAxisWidth(values),
      values: (_plot, splits, _axis, _space, increment) => splits.map((value) => (settings.logScale ? formatLogTick(value) : formatTick(value, increment))),
    };

    const yScale: uPlot.Scale = { distr: settings.logScale ? 3 : 1, log: 10, range: (_plot, min, max) => this.yRange(min, max) };

    return {
      width,
      height: PLOT_HEIGHT,
      series,
      axes: [xAxis, yAxis],
      scales: {
        x: { time: settings.xAxis === 'wall', auto: false, range: (_plot, min, max) => [min, max] },
        y: yScale,
      },
      legend: { show: false },
      padding: [10, 12, 0, 0],
      cursor: {
        y: false,
        drag: { x: true, y: false, setScale: true },
        points: { size: 6 },
        bind: {
          // uPlot's own filter (left button, on the plot itself), except that Shift+drag pans (onPanStart).
          mousedown: (_plot, target, handler) => (event) => {
            if (event.button === 0 && event.target === target && !event.shiftKey) handler(event);
            return null;
          },
          dblclick: () => () => {
            this.zoomTo(undefined);
            return null;
          },
        },
      },
      hooks: {
        setScale: [(plot, key) => this.onScale(plot, key)],
        setCursor: [(plot) => this.onCursor(plot)],
        draw: [(plot) => this.drawMarkers(plot)],
      },
    };
  }

  private isSparse(index: number): boolean {
    const item = this.drawn[index];
    return item !== undefined && item.drawnPoints > 0 && item.drawnPoints * POINT_SPACING_PX < this.width;
  }

  private yAxisWidth(values: string[] | undefined): number {
    if (!values || values.length === 0 || !this.measurer) return 40;
    this.measurer.font = this.theme.font;
    const widest = values.reduce((max, value) => Math.max(max, this.measurer?.measureText(value).width ?? 0), 0);
    return Math.ceil(widest) + 14;
  }

  /** The robust range when ignoring outliers, else uPlot's own padding of min/max; a unit range when nothing can be drawn. */
  private yRange(min: number | null, max: number | null): uPlot.Range.MinMax {
    if (this.robust) return [this.robust.min, this.robust.max];
    const log = this.settings?.logScale ?? false;
    if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max) || min > max) return log ? [1, 10] : [0, 1];
    return log ? uPlot.rangeLog(min, max, 10, false) : uPlot.rangeNum(min, max, 0.1, true);
  }

  /** Downsamples the visible range, aligns the lines and hands them to uPlot. */
  private render(): void {
    const plot = this.plot;
    const settings = this.settings;
    if (!plot || !settings) return;
    this.resetButton.hidden = this.zoom === undefined;
    if (!this.full) {
      // No point to place yet: empty axes over a unit range.
      this.markers = [];
      this.appliedRange = { min: 0, max: 1 };
      this.batch(plot, () => {
        plot.setData(this.emptyData());
        plot.setScale('x', { min: 0, max: 1 });
      });
      this.showValues(undefined);
      return;
    }
    const range = drawableRange(this.zoom ?? this.full);
    const columns = Math.max(1, Math.round(plot.bbox.width > 0 ? plot.bbox.width / uPlot.pxRatio : this.width - 60));
    const log = settings.logScale;
    const tables: LineTable[] = [];
    const markers: Marker[] = [];
    const samples: number[] = [];
    const sampleLimit = Math.ceil(SAMPLE_LIMIT / Math.max(1, this.drawn.length));
    for (const item of this.drawn) {
      const { x, y } = item.coords;
      const picked = downsampleSummarised(x, y, this.cache.summary(item.line.key, log), range, columns);
      const n = picked.indices.length;
      const xs = new Float64Array(n);
      const raw = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        const i = picked.indices[j] as number;
        xs[j] = x[i] as number;
        raw[j] = y[i] as number;
      }
      let smooth: Float64Array | undefined;
      if (item.smoothed) {
        smooth = new Float64Array(n);
        item.smoothed.gather(picked.indices, smooth);
        if (log) for (let j = 0; j < n; j++) if (!((smooth[j] as number) > 0)) smooth[j] = NaN;
      }
      item.drawnPoints = n;
      tables.push({ x: xs, columns: smooth ? [raw, smooth] : [raw] });
      for (const marker of picked.markers) markers.push(marker);
      if (settings.ignoreOutliers) {
        const slice = visibleSlice(x, range);
        strideSample(y, slice.from, slice.to, sampleLimit, log, samples);
      }
    }
    this.robust = settings.ignoreOutliers ? robustRange(samples, log) : undefined;
    this.markers = markers;
    const aligned = alignTables(tables);
    this.appliedRange = range;
    this.batch(plot, () => {
      plot.setData([aligned.x, ...aligned.columns]);
      plot.setScale('x', range);
    });
    this.onCursor(plot);
  }

  private batch(plot: uPlot, change: () => void): void {
    this.applying = true;
    try {
      plot.batch(change);
    } finally {
      this.applying = false;
    }
  }

  private scheduleRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    this.frame = requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  /** A zoom made by uPlot itself (drag-select): remember it and redraw at the new resolution. */
  private onScale(plot: uPlot, key: string): void {
    if (key !== 'x' || this.applying || !this.full) return;
    const { min, max } = plot.scales.x ?? {};
    if (min == null || max == null) return;
    const applied = this.appliedRange;
    if (applied && applied.min === min && applied.max === max) return;
    this.zoom = coversFull({ min, max }, this.full) ? undefined : keepZoom({ min, max }, this.full);
    queueMicrotask(() => this.render());
  }

  private onWheel(event: WheelEvent): void {
    const plot = this.plot;
    const full = this.full;
    if (!plot || !full) return;
    const current = drawableRange(this.zoom ?? full);
    const toPixels = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? plot.over.clientHeight : 1;
    const plotWidth = Math.max(1, plot.over.clientWidth);
    if (Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      // Sideways scrolling (trackpads, Shift+wheel) pans a zoomed chart.
      if (!this.zoom) return;
      event.preventDefault();
      this.setZoom(panBy(current, ((event.deltaX * toPixels) / plotWidth) * (current.max - current.min), full) ?? this.zoom);
      return;
    }
    // Nothing to zoom out of: let the page scroll.
    if (event.deltaY > 0 && !this.zoom) return;
    event.preventDefault();
    const factor = Math.min(4, Math.max(0.25, Math.exp(event.deltaY * toPixels * WHEEL_ZOOM_PER_PIXEL)));
    const anchor = plot.posToVal(event.clientX - plot.over.getBoundingClientRect().left, 'x');
    this.setZoom(zoomAround(current, anchor, factor, full));
  }

  private onPanStart(event: MouseEvent): void {
    const middle = event.button === 1;
    if (!middle && !(event.button === 0 && event.shiftKey)) return;
    event.preventDefault();
    const plot = this.plot;
    const full = this.full;
    const start = this.zoom;
    if (!plot || !full || !start) return;
    const startX = event.clientX;
    const perPixel = (start.max - start.min) / Math.max(1, plot.over.clientWidth);
    const move = (moveEvent: MouseEvent): void => this.setZoom(panBy(start, -(moveEvent.clientX - startX) * perPixel, full) ?? start);
    const stop = (): void => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', stop);
      this.plotHost.classList.remove('panning');
      this.stopPan = undefined;
    };
    this.stopPan = stop;
    this.plotHost.classList.add('panning');
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', stop);
  }

  private setZoom(range: XRange | undefined): void {
    this.zoom = range;
    this.scheduleRender();
  }

  private drawMarkers(plot: uPlot): void {
    if (this.markers.length === 0) return;
    const context = plot.ctx;
    const { left, top, width, height } = plot.bbox;
    const size = 4 * uPlot.pxRatio;
    const bottom = top + height;
    context.save();
    context.fillStyle = this.theme.error;
    context.beginPath();
    for (const marker of this.markers) {
      const x = plot.valToPos(marker.x, 'x', true);
      if (x < left - size || x > left + width + size) continue;
      if (marker.kind === 'posInf') {
        context.moveTo(x, top);
        context.lineTo(x + size, top + 1.7 * size);
        context.lineTo(x - size, top + 1.7 * size);
      } else if (marker.kind === 'negInf') {
        context.moveTo(x, bottom);
        context.lineTo(x - size, bottom - 1.7 * size);
        context.lineTo(x + size, bottom - 1.7 * size);
      } else {
        context.moveTo(x, top);
        context.lineTo(x + size, top + size);
        context.lineTo(x, top + 2 * size);
        context.lineTo(x - size, top + size);
      }
      context.closePath();
    }
    context.fill();
    context.restore();
  }

  private rebuildReadout(): void {
    const settings = this.settings as ChartSettings;
    const smoothed = smoothingActive(settings.smoothing);
    const head = h(
      'tr',
      {},
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Line style')),
      h('th', { scope: 'col' }, 'Run'),
      h('th', { scope: 'col', class: 'number' }, X_AXIS_LABELS[settings.xAxis]),
      h('th', { scope: 'col', class: 'number' }, 'Value'),
      smoothed ? h('th', { scope: 'col', class: 'number' }, 'Smoothed') : null,
    );
    this.readoutRows = this.drawn.map(({ line }) => {
      const swatch = h('span', { class: 'chart-swatch' });
      swatch.style.borderTopColor = line.run.colour || this.theme.foreground;
      const kind = splitKind(line.split);
      swatch.style.borderTopStyle = kind === 'train' ? 'solid' : kind === 'test' ? 'dotted' : 'dashed';
      const cells = { x: h('td', { class: 'number' }), raw: h('td', { class: 'number' }), smoothed: smoothed ? h('td', { class: 'number' }) : undefined };
      const row = h('tr', {}, h('td', {}, swatch), h('td', { class: 'chart-line-label', title: line.label }, line.label), cells.x, cells.raw, cells.smoothed);
      return { row, ...cells };
    });
    this.readout.replaceChildren(this.readoutCaption, h('thead', {}, head), h('tbody', {}, ...this.readoutRows.map((row) => row.row)));
  }

  private onCursor(plot: uPlot): void {
    const left = plot.cursor.left ?? -1;
    this.showValues(left >= 0 ? plot.posToVal(left, 'x') : undefined);
  }

  /** Each line's point nearest to x (undefined: its latest point). */
  private showValues(x: number | undefined): void {
    const mode = this.settings?.xAxis ?? 'step';
    this.readoutCaption.textContent = x === undefined ? 'Latest values' : `Values at ${formatX(x, mode)}`;
    this.drawn.forEach((item, index) => {
      const row = this.readoutRows[index];
      if (!row) return;
      const xs = item.coords.x;
      const i = x === undefined ? xs.length - 1 : nearestIndex(xs, x);
      if (i < 0) {
        row.x.textContent = row.raw.textContent = '—';
        if (row.smoothed) row.smoothed.textContent = '—';
        return;
      }
      const at = xs[i] as number;
      row.row.classList.toggle('distant', x !== undefined && (x < (xs[0] as number) || x > (xs[xs.length - 1] as number)));
      row.x.textContent = formatX(at, mode);
      row.raw.textContent = formatValue(item.coords.y[i] as number);
      if (row.smoothed) row.smoothed.textContent = item.smoothed ? formatValue(item.smoothed.at(i)) : '—';
    });
  }
}
