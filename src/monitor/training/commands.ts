/**
 * "Start Training…" and "Stop Training": which script, with which arguments
 * (the script's own docstring usages are offered, the last arguments per
 * script are remembered), and which running process to stop. Problems are
 * shown and logged; the commands then return undefined, as when cancelled.
 *
 *   deepLearningKit.startTraining [script?: Uri | string, args?: string[]]
 *     → the TrainingProcessView started (args given: nothing is asked)
 *   deepLearningKit.stopTraining [id?: number]
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrainingProcessView, TrainingScript } from '../../protocol/monitorView';
import { ArgumentSyntaxError, splitArguments } from './commandLine';
import { formatDuration } from './runnerText';
import { scriptUsages } from './scriptRecognition';
import { findTrainingScripts, projectLabel, readScriptHead, scriptLabel } from './scripts';
import type { TrainingRunner } from './trainingRunner';

const RUNNING_CONTEXT_KEY = 'deepLearningKit.trainingRunning';
/** workspaceState: the last arguments typed or picked, by script path. */
const LAST_ARGUMENTS_KEY = 'deepLearningKit.training.lastArguments';

const isRunning = (view: TrainingProcessView): boolean => view.exitCode === undefined;

type Item<T> = vscode.QuickPickItem & { value: T };

/** The path of the script to run, picked from the workspace's or browsed for. */
async function pickScript(): Promise<string | undefined> {
  const browse = Symbol('browse');
  const scripts = await findTrainingScripts();
  const items: Array<Item<TrainingScript | typeof browse>> = scripts.map((script) => ({
    label: script.label.includes('/') ? script.label : projectLabel(script.path),
    description: script.scaffolded ? 'Deep Learning Kit project: writes the run log the monitor shows' : '',
    detail: path.dirname(script.path),
    value: script,
  }));
  items.push({ label: '$(folder-opened) Browse…', description: 'any Python file', value: browse });
  const choice = await vscode.window.showQuickPick(items, {
    title: 'Start Training',
    placeHolder: scripts.length > 0 ? 'The training script to run' : 'No train.py, train_*.py or *_train.py in this workspace: browse for a script',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!choice) return undefined;
  if (choice.value !== browse) return choice.value.path;
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    filters: { Python: ['py'] },
    openLabel: 'Train',
    title: 'The training script to run',
    ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
  });
  return picked?.[0]?.fsPath;
}

function validateArguments(text: string): string | undefined {
  try {
    splitArguments(text);
    return undefined;
  } catch (error) {
    if (error instanceof ArgumentSyntaxError) return error.message;
    throw error;
  }
}

async function typeArguments(fileName: string, last: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: `Start Training: ${fileName}`,
    prompt: `Arguments after "python -u ${fileName}" (empty: none)`,
    value: last,
    validateInput: validateArguments,
  });
}

/** The arguments as text: a docstring usage, the last ones, or typed; undefined when cancelled. */
async function askArguments(file: string, last: string | undefined): Promise<string | undefined> {
  const fileName = path.basename(file);
  const usages = scriptUsages(await readScriptHead(file), fileName);
  if (usages.length === 0) return typeArguments(fileName, last ?? '');
  /** `edit`: the arguments go to the input box first (to fill in placeholders, or to type others). */
  type Choice = { args: string; edit: boolean };
  const items: Array<Item<Choice>> = [];
  if (last !== undefined && !usages.some((usage) => usage.args === last)) {
    items.push({ label: `$(history) python ${fileName} ${last}`.trimEnd(), description: 'the last arguments', value: { args: last, edit: false } });
  }
  for (const usage of usages) {
    const item: Item<Choice> = {
      label: `python ${fileName} ${usage.args}`.trimEnd(),
      description: usage.description,
      ...(usage.hasPlaceholders ? { detail: 'fill in the placeholders next' } : {}),
      value: { args: usage.args, edit: usage.hasPlaceholders },
    };
    // The last arguments come first, to run again with one key.
    if (usage.args === last) items.unshift({ ...item, label: `$(history) ${item.label}` });
    else items.push(item);
  }
  items.push({ label: '$(edit) Other arguments…', value: { args: last ?? '', edit: true } });
  const choice = await vscode.window.showQuickPick(items, {
    title: `Start Training: ${scriptLabel(file)}`,
    placeHolder: 'How to run it (from its docstring)',
    matchOnDescription: true,
  });
  if (!choice) return undefined;
  return choice.value.edit ? typeArguments(fileName, choice.value.args) : choice.value.args;
}

function scriptPath(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.scheme === 'file' ? arg.fsPath : undefined;
  return typeof arg === 'string' && arg !== '' ? arg : undefined;
}

async function pickRunning(running: TrainingProcessView[]): Promise<TrainingProcessView | undefined> {
  if (running.length <= 1) return running[0];
  const now = Date.now() / 1000;
  const choice = await vscode.window.showQuickPick(
    running.map((view) => ({ label: view.label, description: `pid ${view.id} · running for ${formatDuration(now - view.started)}`, value: view })),
    { title: 'Stop Training', placeHolder: 'The training process to stop (with every process it started)' },
  );
  return choice?.value;
}

export function registerTrainingCommands(context: vscode.ExtensionContext, runner: TrainingRunner, onStarted?: () => void): void {
  const lastArguments = (): Record<string, string> => context.workspaceState.get<Record<string, string>>(LAST_ARGUMENTS_KEY, {});

  const startTraining = async (scriptArg?: unknown, argsArg?: unknown): Promise<TrainingProcessView | undefined> => {
    if (!vscode.workspace.isTrusted) {
      throw new Error('Training scripts run only in a trusted workspace: trust this one (Workspaces: Manage Workspace Trust) to start training.');
    }
    if (scriptArg !== undefined && scriptArg !== null && scriptPath(scriptArg) === undefined) {
      throw new Error('Start Training takes the script as a file path or a file Uri.');
    }
    const file = scriptPath(scriptArg) ?? (await pickScript());
    if (file === undefined) return undefined;
    let args: string[];
    if (Array.isArray(argsArg) && argsArg.every((arg) => typeof arg === 'string')) {
      args = argsArg;
    } else {
      const text = await askArguments(file, lastArguments()[file]);
      if (text === undefined) return undefined;
      args = splitArguments(text);
      await context.workspaceState.update(LAST_ARGUMENTS_KEY, { ...lastArguments(), [file]: text.trim() });
    }
    const view = await runner.start(file, args);
    onStarted?.();
    return view;
  };

  const stopTraining = async (idArg?: unknown): Promise<void> => {
    const running = runner.processes().filter(isRunning);
    const target = typeof idArg === 'number' ? running.find((view) => view.id === idArg) : await pickRunning(running);
    if (!target) {
      if (typeof idArg === 'number' || running.length === 0) void vscode.window.showInformationMessage('No training started from this window is running.');
      return;
    }
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Stopping ${target.label}…` }, () => runner.stop(target.id));
  };

  const commands: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    'deepLearningKit.startTraining': startTraining,
    'deepLearningKit.stopTraining': stopTraining,
  };
  for (const [id, handler] of Object.entries(commands)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          runner.log.error(`${id}: ${message}`);
          void vscode.window.showErrorMessage(message);
          return undefined;
        }
      }),
    );
  }

  const updateRunningKey = (): void => {
    void vscode.commands.executeCommand('setContext', RUNNING_CONTEXT_KEY, runner.processes().some(isRunning));
  };
  updateRunningKey();
  context.subscriptions.push(runner.onDidChange(updateRunningKey));
}
