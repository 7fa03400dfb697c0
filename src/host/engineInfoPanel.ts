/** The "Engine Info" webview: which backend runs, why, and buttons to change it. */
import * as vscode from 'vscode';
import type { EngineInfo } from '../protocol/engine';
import type { EngineInfoHostMessage, EngineInfoViewMessage, EngineInfoViewState } from '../protocol/engineInfoView';
import { webviewHtml, webviewOptions } from './webviewHtml';

export interface EngineInfoActions {
  info(): Promise<EngineInfo>;
  restart(): Thenable<unknown>;
  installNative(): Thenable<unknown>;
}

export class EngineInfoPanel {
  static readonly viewType = 'deepLearningKit.engineInfo';
  static current: EngineInfoPanel | undefined;

  private state: EngineInfoViewState = { status: 'starting' };
  private readonly disposables: vscode.Disposable[] = [];

  /** Shows the panel, creating it if needed. */
  static show(extensionUri: vscode.Uri, actions: EngineInfoActions): EngineInfoPanel {
    if (EngineInfoPanel.current) {
      EngineInfoPanel.current.panel.reveal();
      return EngineInfoPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      EngineInfoPanel.viewType,
      'Engine Info',
      vscode.ViewColumn.Active,
      webviewOptions(extensionUri),
    );
    return new EngineInfoPanel(panel, extensionUri, actions);
  }

  /** Takes over a panel VS Code restored after a reload. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, actions: EngineInfoActions): EngineInfoPanel {
    panel.webview.options = webviewOptions(extensionUri);
    const revived = new EngineInfoPanel(panel, extensionUri, actions);
    void revived.refresh();
    return revived;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly actions: EngineInfoActions,
  ) {
    EngineInfoPanel.current = this;
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'engineInfo', 'Engine Info');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: EngineInfoViewMessage) => this.onMessage(message)),
    );
  }

  /** Asks the engine again and shows the answer; resolves with the info, or undefined on failure. */
  async refresh(): Promise<EngineInfo | undefined> {
    this.setState({ status: 'starting' });
    try {
      const info = await this.actions.info();
      this.setState({ status: 'ready', info });
      return info;
    } catch (error) {
      this.setState({ status: 'failed', message: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  private setState(state: EngineInfoViewState): void {
    this.state = state;
    this.post({ type: 'state', state });
  }

  private post(message: EngineInfoHostMessage): void {
    void this.panel.webview.postMessage(message);
  }

  private onMessage(message: EngineInfoViewMessage): void {
    switch (message.type) {
      case 'ready': // the page (re)loaded: replay what it missed
        this.post({ type: 'state', state: this.state });
        break;
      case 'restart':
        void this.actions.restart();
        break;
      case 'installNative':
        void this.actions.installNative();
        break;
      case 'copy':
        if (this.state.status === 'ready') {
          void vscode.env.clipboard.writeText(JSON.stringify(this.state.info, null, 2));
          void vscode.window.showInformationMessage('Engine info copied to the clipboard as JSON.');
        }
        break;
    }
  }

  private dispose(): void {
    if (EngineInfoPanel.current === this) EngineInfoPanel.current = undefined;
    for (const disposable of this.disposables) disposable.dispose();
  }
}
