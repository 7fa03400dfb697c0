/**
 * Which Python runs a training script: the setting
 * deepLearningKit.training.pythonPath when the user set one (its description
 * promises it wins), else the interpreter the Python extension has selected
 * for the script, else `python3` (`python` on Windows). The choice and the
 * reasons for passing over the others go to the log.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { commandFromPythonExtension, defaultPythonCommand, expandInterpreterSetting, type PythonExtensionAnswer } from './interpreterChoice';
import type { Interpreter } from './runnerText';

const PYTHON_EXTENSION_ID = 'ms-python.python';
/** The Python extension may take long to activate on a cold start, but not forever. */
const PYTHON_EXTENSION_TIMEOUT_MS = 20_000;

function fromSetting(resource: vscode.Uri): string | undefined {
  // A restricted setting: an untrusted workspace must not choose the program (no training starts there anyway).
  if (!vscode.workspace.isTrusted) return undefined;
  const value = vscode.workspace.getConfiguration('deepLearningKit.training', resource).get<string>('pythonPath', '').trim();
  if (value === '') return undefined;
  return expandInterpreterSetting(value, os.homedir(), vscode.workspace.getWorkspaceFolder(resource)?.uri.fsPath);
}

async function askPythonExtension(resource: vscode.Uri): Promise<PythonExtensionAnswer> {
  const extension = vscode.extensions.getExtension(PYTHON_EXTENSION_ID);
  if (!extension) return { problem: 'it is not installed' };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<PythonExtensionAnswer>((resolve) => {
    timer = setTimeout(() => resolve({ problem: `it did not answer within ${PYTHON_EXTENSION_TIMEOUT_MS / 1000} s` }), PYTHON_EXTENSION_TIMEOUT_MS);
  });
  const answer = (async (): Promise<PythonExtensionAnswer> => {
    try {
      const api: unknown = extension.isActive ? extension.exports : await extension.activate();
      return await commandFromPythonExtension(api, resource);
    } catch (error) {
      return { problem: `it failed to activate: ${error instanceof Error ? error.message : String(error)}` };
    }
  })();
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function resolvePythonInterpreter(resource: vscode.Uri, log: vscode.LogOutputChannel): Promise<Interpreter> {
  const setting = fromSetting(resource);
  if (setting !== undefined) {
    log.info(`training: interpreter ${setting}, from the setting deepLearningKit.training.pythonPath`);
    return { command: setting, prefixArgs: [], source: 'setting' };
  }
  const answer = await askPythonExtension(resource);
  if ('command' in answer) {
    const [command = '', ...prefixArgs] = answer.command;
    log.info(`training: interpreter ${answer.command.join(' ')}, selected in the Python extension for ${resource.fsPath}`);
    return { command, prefixArgs, source: 'python extension' };
  }
  const command = defaultPythonCommand(process.platform);
  log.info(`training: interpreter ${command} (the default): the setting deepLearningKit.training.pythonPath is empty and the Python extension gave none (${answer.problem})`);
  return { command, prefixArgs: [], source: 'default' };
}
