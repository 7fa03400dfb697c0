import * as vscode from 'vscode';
import { registerEngine, type Engine } from './host/engineFeature';

/** When this bundle began to evaluate: activation time is measured from here. */
const loadedAt = performance.now();

/** What other extensions and the integration tests get from `extension.exports`. */
export interface DeepLearningKitApi {
  engine: Engine;
}

export function activate(context: vscode.ExtensionContext): DeepLearningKitApi {
  const log = vscode.window.createOutputChannel('Deep Learning Kit', { log: true });
  context.subscriptions.push(log);
  const api = { engine: registerEngine(context, log) };
  log.info(`activated in ${(performance.now() - loadedAt).toFixed(1)} ms`);
  return api;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
