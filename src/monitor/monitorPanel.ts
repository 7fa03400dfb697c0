/**
 * The Training Monitor editor panel: one per window. The page holds no
 * history of its own: on `ready` (first load, reload, shown again after
 * being hidden) it gets a snapshot of every run, then appends and run
 * updates as they come. Images travel once per page load.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MonitorToView, RunView, ViewToMonitor } from '../protocol/monitorView';
import { webviewHtml, webviewOptions } from '../host/webviewHtml';

export const MONITOR_VIEW_TYPE = 'deepLearningKit.trainingMonitor';

/** What the panel needs from the rest of the monitor. */
export interface MonitorSource {
  snapshot(): Extract<MonitorToView, { type: 'snapshot' }>;
  runViews(): RunView[];
  /** Every series' points added or cut since the last call. */
  takeAppends(): Extract<MonitorToView, { type: 'append' }>['series'];
  handle(message: ViewToMonitor): Promise<void>;
}

/** How often run rows (status, step, ETA) are re-sent while runs grow. */
const RUNS_THROTTLE_MS = 250;

export class MonitorPanel implements vscode.Disposable {
  private ready = false;
  private readonly sentImages = new Set<string>();
  private runsTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly closed = new vscode.EventEmitter<void>();
  readonly onDidClose = this.closed.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly source: MonitorSource,
    private readonly log: vscode.LogOutputChannel,
  ) {
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'monitor', 'Training Monitor');
    this.disposables.push(
      panel.webview.onDidReceiveMessage((message: ViewToMonitor) => void this.receive(message)),
      // A hidden page is torn down; it says `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** New points or run changes exist: send appends now, run rows soon. */
  changed(runsChanged: boolean): void {
    if (!this.ready) return;
    const series = this.source.takeAppends();
    if (series.length > 0) this.post({ type: 'append', series });
    if (runsChanged) this.sendRuns();
    else this.runsTimer ??= setTimeout(() => this.sendRuns(), RUNS_THROTTLE_MS);
  }

  post(message: MonitorToView): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  private sendRuns(): void {
    clearTimeout(this.runsTimer);
    this.runsTimer = undefined;
    this.post({ type: 'runs', runs: this.withoutSentImages(this.source.runViews()) });
  }

  /** Images the page has (by id) travel without their bytes. */
  private withoutSentImages(runs: RunView[]): RunView[] {
    return runs.map((run) => ({
      ...run,
      images: run.images.map((image) => {
        const key = `${run.id}\u0000${image.id}`;
        if (this.sentImages.has(key)) return { ...image, dataUri: '' };
        this.sentImages.add(key);
        return image;
      }),
    }));
  }

  private async receive(message: ViewToMonitor): Promise<void> {
    try {
      if (message.type === 'ready' || message.type === 'resync') {
        this.ready = true;
        this.sentImages.clear();
        const snapshot = this.source.snapshot();
        void this.panel.webview.postMessage({ ...snapshot, runs: this.withoutSentImages(snapshot.runs) });
        return;
      }
      await this.source.handle(message);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.log.error(`Training Monitor: ${message.type} failed: ${text}`);
      this.post({ type: 'notice', level: 'error', text });
    }
  }

  dispose(): void {
    clearTimeout(this.runsTimer);
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.closed.fire();
    this.closed.dispose();
  }
}

/** A file the page asked to show, if it lies inside a tracked run (the page is not trusted with paths). */
export function isInside(file: string, folders: string[]): boolean {
  const resolved = path.resolve(file);
  return folders.some((folder) => resolved === folder || resolved.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep));
}
