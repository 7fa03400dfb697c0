import * as vscode from 'vscode';
import { registerEngine, type Engine } from './host/engineFeature';
import { registerMonitor, type TrainingMonitor } from './monitor/feature';
import { registerScaffold } from './scaffold/feature';
import { registerSummary } from './summary/feature';

/** When this bundle began to evaluate: activation time is measured from here. */
const loadedAt = performance.now();

/** What other extensions and the integration tests get from `extension.exports`. */
export interface DeepLearningKitApi {
  engine: Engine;
  monitor: TrainingMonitor;
}

export function activate(context: vscode.ExtensionContext): DeepLearningKitApi {
  const activateCalledAt = performance.now();
  const log = vscode.window.createOutputChannel('Deep Learning Kit', { log: true });
  context.subscriptions.push(log);
  const engine = registerEngine(context, log);
  registerScaffold(context, log);
  registerSummary(context, engine, log);
  const api = { engine, monitor: registerMonitor(context, log) };
  const now = performance.now();
  log.info(`activated in ${(now - activateCalledAt).toFixed(1)} ms (${(now - loadedAt).toFixed(1)} ms since the bundle was loaded)`);
  return api;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
