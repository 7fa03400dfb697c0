/**
 * The status-bar item of the active run (the running run that wrote last):
 * `$(pulse) cnn-baseline · epoch 3/20 · loss 0.412 · ETA 2m`. Hidden when no
 * run is running or the setting turns it off; a click opens the monitor.
 */
import * as vscode from 'vscode';
import type { RunView } from '../protocol/monitorView';
import { mainLoss, statusText } from './statusText';
import type { TrackedRun } from './runRegistry';

export class RunStatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('deepLearningKit.activeRun', vscode.StatusBarAlignment.Left, 50);

  constructor(openCommand: string) {
    this.item.name = 'Deep Learning Kit: Active Training Run';
    this.item.command = openCommand;
  }

  /** Shows the most recently written of the running runs, or hides. */
  update(runs: { run: TrackedRun; view: RunView }[]): void {
    const enabled = vscode.workspace.getConfiguration('deepLearningKit.monitor').get<boolean>('statusBar', true);
    const running = runs.filter(({ view }) => view.status === 'running').sort((a, b) => (b.view.lastUpdate ?? 0) - (a.view.lastUpdate ?? 0));
    const active = running[0];
    if (!enabled || !active) {
      this.item.hide();
      return;
    }
    this.item.text = `$(pulse) ${statusText(active.view, mainLoss(active.run.tracker))}`;
    const others = running.length > 1 ? `\n\n${running.length - 1} more running` : '';
    this.item.tooltip = `Training run ${active.view.name} (${active.view.path})${others}\n\nClick to open the Training Monitor.`;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
