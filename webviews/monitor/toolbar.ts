/**
 * The toolbar above the tabs: how the charts draw (smoothing, x-axis, log
 * scale, outliers, metric filter) and the actions (start training, refresh,
 * export CSV). Chart settings change the saved state and ask for a redraw.
 */
import type { MonitorViewState, ViewToMonitor } from '../../src/protocol/monitorView';
import { button, dropdown, h, setDisabled, textField } from '../shared/ui';
import { checkbox, slider, type Slider } from './controls';
import { clampSmoothingWeight, MAX_SMOOTHING_WEIGHT, SMOOTHING_KINDS, X_AXES, type SmoothingKind, type XAxis } from './viewState';

const SMOOTHING_CHOICES: Array<{ value: SmoothingKind; label: string }> = [
  { value: 'ema', label: 'EMA' },
  { value: 'average', label: 'Running average' },
  { value: 'none', label: 'None' },
];

const X_AXIS_CHOICES: Array<{ value: XAxis; label: string }> = [
  { value: 'step', label: 'Step' },
  { value: 'epoch', label: 'Epoch' },
  { value: 'relative', label: 'Relative time' },
  { value: 'wall', label: 'Wall time' },
];

export interface ToolbarHost {
  readonly state: MonitorViewState;
  /** A chart setting changed: save the state and redraw the charts. */
  settingsChanged(): void;
  post(message: ViewToMonitor): void;
  /** The ids of the runs an export covers: the visible ones. */
  exportRunIds(): string[];
}

export class Toolbar {
  readonly element: HTMLElement;
  private readonly weight: Slider;
  private readonly exportButton: HTMLElement;

  constructor(private readonly host: ToolbarHost) {
    const state = host.state;
    const smoothing = dropdown({
      label: 'Smoothing',
      value: state.smoothing.kind,
      choices: SMOOTHING_CHOICES,
      testId: 'smoothing-kind',
      onChange: (value) => {
        if (!SMOOTHING_KINDS.includes(value as SmoothingKind)) return;
        state.smoothing.kind = value as SmoothingKind;
        this.weight.setDisabled(state.smoothing.kind === 'none');
        host.settingsChanged();
      },
    });
    this.weight = slider({
      label: 'Weight',
      min: 0,
      max: MAX_SMOOTHING_WEIGHT,
      step: 0.01,
      value: state.smoothing.weight,
      testId: 'smoothing-weight',
      format: (value) => value.toFixed(2),
      onInput: (value) => {
        const weight = clampSmoothingWeight(value);
        if (weight === undefined) return;
        state.smoothing.weight = weight;
        host.settingsChanged();
      },
    });
    this.weight.setDisabled(state.smoothing.kind === 'none');
    const xAxis = dropdown({
      label: 'X-axis',
      value: state.xAxis,
      choices: X_AXIS_CHOICES,
      testId: 'x-axis',
      onChange: (value) => {
        if (!X_AXES.includes(value as XAxis)) return;
        state.xAxis = value as XAxis;
        host.settingsChanged();
      },
    });
    const logScale = checkbox('Log scale', state.logScale, 'log-scale', (checked) => {
      state.logScale = checked;
      host.settingsChanged();
    });
    const outliers = checkbox('Ignore outliers', state.ignoreOutliers, 'ignore-outliers', (checked) => {
      state.ignoreOutliers = checked;
      host.settingsChanged();
    });
    const filter = textField({
      label: 'Filter metrics',
      value: state.filter,
      placeholder: 'loss, acc…',
      testId: 'metric-filter',
      size: 16,
      onInput: (value) => {
        state.filter = value.slice(0, 200);
        host.settingsChanged();
      },
    });
    this.exportButton = button('Export CSV', () => this.exportCsv(), {
      testId: 'export-csv',
      title: 'Write every point of the visible runs to a CSV file',
    });
    this.element = h(
      'div',
      { class: 'toolbar monitor-toolbar', role: 'toolbar', 'aria-label': 'Chart settings and actions' },
      smoothing.element,
      this.weight.element,
      xAxis.element,
      h('div', { class: 'toggles' }, logScale.element, outliers.element),
      filter,
      h('span', { class: 'spacer' }),
      h(
        'div',
        { class: 'toolbar-actions' },
        button('Start Training…', () => host.post({ type: 'startTraining' }), {
          appearance: 'primary',
          testId: 'start-training',
          title: 'Run a training script of this workspace',
        }),
        button('Refresh', () => host.post({ type: 'refresh' }), { testId: 'refresh', title: 'Look for runs again now' }),
        this.exportButton,
      ),
    );
  }

  /** Enables Export CSV while some run is visible. */
  update(): void {
    setDisabled(this.exportButton, this.host.exportRunIds().length === 0);
  }

  private exportCsv(): void {
    const runIds = this.host.exportRunIds();
    if (runIds.length > 0) this.host.post({ type: 'exportCsv', runIds });
  }
}
