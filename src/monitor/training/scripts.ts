/**
 * The training scripts of the workspace (train.py, train_*.py, *_train.py),
 * each read just far enough to recognise a scaffolded project's train.py.
 */
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrainingScript } from '../../protocol/monitorView';
import { compareTrainingScripts, MAX_TRAINING_SCRIPTS, RECOGNITION_BYTES, TRAINING_SCRIPT_EXCLUDE, TRAINING_SCRIPT_GLOB, writesRunLog } from './scriptRecognition';

/** The start of a file as text; '' when it cannot be read. */
export async function readScriptHead(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
    const buffer = Buffer.alloc(RECOGNITION_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, RECOGNITION_BYTES, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } catch {
    return '';
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** A path relative to its workspace folder (with the folder's name in a multi-root workspace). */
export function scriptLabel(file: string): string {
  return vscode.workspace.asRelativePath(vscode.Uri.file(file), (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
}

/** The project folder and file name (`mnist_cnn/train.py`), for channel names and pick items. */
export function projectLabel(file: string): string {
  return `${path.basename(path.dirname(file))}/${path.basename(file)}`;
}

export async function describeTrainingScript(file: string): Promise<TrainingScript> {
  return { path: file, label: scriptLabel(file), scaffolded: writesRunLog(await readScriptHead(file)) };
}

export async function findTrainingScripts(): Promise<TrainingScript[]> {
  const uris = await vscode.workspace.findFiles(TRAINING_SCRIPT_GLOB, TRAINING_SCRIPT_EXCLUDE, MAX_TRAINING_SCRIPTS);
  const scripts = await Promise.all(uris.filter((uri) => uri.scheme === 'file').map((uri) => describeTrainingScript(uri.fsPath)));
  return scripts.sort(compareTrainingScripts);
}
