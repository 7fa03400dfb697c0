import * as vscode from 'vscode';
import { registerEngine, type Engine } from './host/engineFeature';

/** What other extensions and the integration tests get from `extension.exports`. */
export interface DeepLearningKitApi {
  engine: Engine;
}

export function activate(context: vscode.ExtensionContext): DeepLearningKitApi {
  const log = vscode.window.createOutputChannel('Deep Learning Kit', { log: true });
  context.subscriptions.push(log);
  return { engine: registerEngine(context, log) };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
