/**
 * One open Model Summary: asks the engine for the summary of its file, then
 * for the weight statistics, runs the model when the page asks, re-reads
 * the file when it changes on disk, and replays its state whenever the page
 * (re)loads. All parsing happens in the engine process.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineMethod, ParamsOf, ResultOf } from '../protocol/engine';
import type { RunOptions } from '../protocol/model';
import type { SummaryHostMessage, SummaryViewMessage, SummaryViewState } from '../protocol/summaryView';
import { webviewHtml, webviewOptions } from '../host/webviewHtml';

export interface EngineRequests {
  request<M extends EngineMethod>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  /** Lets a running engine free the file; never starts one for that. */
  forget(file: string): void;
}

const HEX_EDITOR = 'ms-vscode.hexeditor';

/** model.json opens as text; binary files in the Hex Editor when it is installed. */
export function reopenAsText(uri: vscode.Uri): Thenable<unknown> {
  const binary = !uri.fsPath.endsWith('.json');
  const viewType = binary && vscode.extensions.getExtension(HEX_EDITOR) ? 'hexEditor.hexedit' : 'default';
  return vscode.commands.executeCommand('vscode.openWith', uri, viewType);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class SummaryEditor implements vscode.Disposable {
  private state: SummaryViewState;
  /** Bumped on every reload, so answers for an older version of the file are dropped. */
  private generation = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private reloadTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly uri: vscode.Uri,
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly engine: EngineRequests,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.state = {
      fileName: path.basename(uri.fsPath),
      relativePath: vscode.workspace.asRelativePath(uri, false),
      status: 'loading',
    };
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'summary', `Model Summary: ${this.state.fileName}`);
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(path.dirname(uri.fsPath)), path.basename(uri.fsPath)),
    );
    this.disposables.push(
      watcher,
      watcher.onDidChange(() => this.scheduleReload()),
      watcher.onDidCreate(() => this.scheduleReload()),
      watcher.onDidDelete(() => this.update({ status: 'failed', error: `${this.state.fileName}: the file was deleted` })),
      panel.webview.onDidReceiveMessage((message: SummaryViewMessage) => this.onMessage(message)),
      panel.onDidDispose(() => this.dispose()),
    );
    void this.load();
  }

  private get file(): string {
    return this.uri.fsPath;
  }

  /** A file being written fires several change events; read it once they stop. */
  private scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.load(), 300);
  }

  private async load(): Promise<void> {
    const generation = ++this.generation;
    if (this.uri.scheme !== 'file') {
      this.update({ status: 'failed', error: `${this.state.fileName}: only files on disk can be summarised (this one is on ${this.uri.scheme}:)` });
      return;
    }
    const started = performance.now();
    this.update({ status: 'loading', summary: undefined, error: undefined, weightStats: undefined, run: undefined });
    try {
      const summary = await this.engine.request('model/summary', { file: this.file });
      if (generation !== this.generation) return;
      this.log.info(`summary of ${this.state.relativePath}: ${summary.layers.length} layers in ${(performance.now() - started).toFixed(0)} ms`);
      this.update({ status: 'ready', summary, weightStats: summary.weights.length > 0 ? { status: 'loading' } : undefined });
      if (summary.weights.length > 0) await this.loadWeightStats(generation);
    } catch (error) {
      if (generation !== this.generation) return;
      this.update({ status: 'failed', error: messageOf(error) });
    }
  }

  /** Weight values are read only after the table shows: it never waits for them. */
  private async loadWeightStats(generation: number): Promise<void> {
    try {
      const stats = await this.engine.request('model/weightStats', { file: this.file });
      if (generation === this.generation) this.update({ weightStats: { status: 'ready', stats } });
    } catch (error) {
      if (generation === this.generation) this.update({ weightStats: { status: 'failed', error: messageOf(error) } });
    }
  }

  private async run(options: RunOptions): Promise<void> {
    const generation = this.generation;
    this.update({ run: { status: 'running' } });
    try {
      const result = await this.engine.request('model/run', { file: this.file, options });
      if (generation === this.generation) this.update({ run: { status: 'ready', result } });
    } catch (error) {
      if (generation === this.generation) this.update({ run: { status: 'failed', error: `${this.state.fileName}: ${messageOf(error)}` } });
    }
  }

  private update(change: Partial<SummaryViewState>): void {
    this.state = { ...this.state, ...change };
    this.post({ type: 'state', state: this.state });
  }

  private post(message: SummaryHostMessage): void {
    void this.panel.webview.postMessage(message);
  }

  private onMessage(message: SummaryViewMessage): void {
    switch (message.type) {
      case 'ready':
        this.post({ type: 'state', state: this.state });
        break;
      case 'run':
        void this.run(message.options);
        break;
      case 'copy':
        void vscode.env.clipboard.writeText(message.text).then(() => this.post({ type: 'copied', format: message.format }));
        break;
      case 'reopenAsText':
        void reopenAsText(this.uri);
        break;
      case 'reload':
        void this.load();
        break;
    }
  }

  dispose(): void {
    clearTimeout(this.reloadTimer);
    this.generation++;
    this.engine.forget(this.file);
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}
