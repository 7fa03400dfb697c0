/**
 * The engine as the extension host sees it: one EngineClient for the window,
 * configured from settings, plus the commands about it. Nothing starts at
 * activation; the worker starts on the first request.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackendPreference, EngineInfo } from '../protocol/engine';
import { EngineClient } from './engineClient';
import { EngineInfoPanel } from './engineInfoPanel';
import { installNativeBackend, nativeBackendFolder, type NativeInstallResult } from './nativeBackend';

export interface Engine {
  readonly client: EngineClient;
  info(): Promise<EngineInfo>;
}

const SECTION = 'deepLearningKit.engine';

function createClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): EngineClient {
  const settings = vscode.workspace.getConfiguration(SECTION);
  // Untrusted workspaces cannot pick the program that runs: `runtime` is a restricted setting.
  const runtime = vscode.workspace.isTrusted
    ? settings.get<string>('runtime', '')
    : (settings.inspect<string>('runtime')?.globalValue ?? '');
  return new EngineClient({
    workerPath: path.join(context.extensionPath, 'dist', 'worker.js'),
    runtime,
    workerOptions: {
      backend: settings.get<BackendPreference>('backend', 'auto'),
      nativeSearchPaths: [nativeBackendFolder(context), context.extensionPath],
    },
    log: (line) => log.info(line),
  });
}

export function registerEngine(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Engine {
  let client = createClient(context, log);
  const engine: Engine = {
    get client() {
      return client;
    },
    info: () => client.request('engine/info', {}),
  };

  const restart = async (): Promise<void> => {
    const old = client;
    client = createClient(context, log);
    await old.dispose();
  };

  const commands: Record<string, (...args: unknown[]) => unknown> = {
    'deepLearningKit.showEngineInfo': async (): Promise<EngineInfo | undefined> => {
      const panel = EngineInfoPanel.show(context.extensionUri, panelActions);
      return panel.refresh();
    },
    'deepLearningKit.restartEngine': async (): Promise<EngineInfo> => {
      await restart();
      const info = await engine.info();
      void EngineInfoPanel.current?.refresh();
      return info;
    },
    'deepLearningKit.installNativeBackend': async (): Promise<NativeInstallResult> => {
      const result = await installNativeBackend(context, { info: engine.info, restart }, log);
      void EngineInfoPanel.current?.refresh();
      return result;
    },
  };
  const panelActions = {
    info: () => engine.info(),
    restart: () => vscode.commands.executeCommand('deepLearningKit.restartEngine'),
    installNative: () => vscode.commands.executeCommand('deepLearningKit.installNativeBackend'),
  };

  for (const [id, handler] of Object.entries(commands)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  }
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(EngineInfoPanel.viewType, {
      deserializeWebviewPanel: async (panel) => {
        EngineInfoPanel.revive(panel, context.extensionUri, panelActions);
      },
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(SECTION)) void restart().then(() => EngineInfoPanel.current?.refresh());
    }),
    // Trust unlocks the workspace's `runtime` setting.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restart()),
    { dispose: () => void client.dispose() },
  );
  return engine;
}
