/** The training processes started from this window: script, running or how it ended, and Stop. */
import type { TrainingProcessView, ViewToMonitor } from '../../src/protocol/monitorView';
import { button, h } from '../shared/ui';
import { formatDuration, formatWallTime } from './format';
import { processState } from './runInfo';

export class ProcessList {
  readonly element = h('div', { class: 'process-list', role: 'group', 'aria-label': 'Training processes' });
  private processes: TrainingProcessView[] = [];

  constructor(private readonly post: (message: ViewToMonitor) => void) {
    this.element.hidden = true;
  }

  update(processes: TrainingProcessView[], nowSeconds: number): void {
    this.processes = Array.isArray(processes) ? processes : [];
    this.element.hidden = this.processes.length === 0;
    this.element.replaceChildren(...this.processes.map((process) => this.item(process, nowSeconds)));
  }

  /** Refreshes how long the running processes have run. */
  tick(nowSeconds: number): void {
    for (const element of this.element.querySelectorAll<HTMLElement>('[data-started]')) {
      element.textContent = formatDuration(nowSeconds - Number(element.dataset.started));
    }
  }

  private item(process: TrainingProcessView, nowSeconds: number): HTMLElement {
    const state = processState(process);
    const elapsed = state.running ? h('span', { class: 'process-elapsed muted', 'data-started': String(process.started) }, formatDuration(nowSeconds - process.started)) : null;
    return h(
      'div',
      { class: `process ${state.running ? 'running' : 'exited'}`, 'data-testid': 'training-process', 'data-process-id': String(process.id) },
      h('span', { class: 'process-label', title: `${process.script}\nStarted ${formatWallTime(process.started)}` }, process.label || process.script),
      h('span', { class: 'process-state', 'data-running': String(state.running) }, state.text),
      elapsed,
      state.running ? button('Stop', () => this.post({ type: 'stopTraining', processId: process.id }), { testId: 'stop-training', title: `Stop ${process.label}` }) : null,
    );
  }
}
