/**
 * "Install Native TensorFlow Backend": puts @tensorflow/tfjs-node into the
 * extension's global storage with npm, where the engine looks for it first.
 * Its install script downloads libtensorflow, which some machines cannot
 * reach; then the command says why and the engine keeps its backend.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineInfo } from '../protocol/engine';
import { explainNpmFailure } from './npmFailure';

export interface NativeInstallResult {
  installed: boolean;
  /** What the user was told. */
  message: string;
  folder: string;
}

const INSTALL_TIMEOUT_MS = 15 * 60_000;

/** Where the command installs tfjs-node (the engine looks here first). */
export function nativeBackendFolder(context: vscode.ExtensionContext): string {
  return path.join(context.globalStorageUri.fsPath, 'native-backend');
}

interface NpmRun {
  exitCode: number | null;
  output: string;
  spawnError?: Error;
}

function runNpm(args: string[], cwd: string, token: vscode.CancellationToken, log: vscode.LogOutputChannel): Promise<NpmRun> {
  return new Promise((resolve) => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    log.info(`native backend: ${npm} ${args.join(' ')} (in ${cwd})`);
    const child = spawn(npm, args, { cwd, shell: process.platform === 'win32' });
    let output = '';
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output += text;
      for (const line of text.split('\n')) if (line.trim()) log.info(`npm: ${line}`);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill(), INSTALL_TIMEOUT_MS);
    const cancel = token.onCancellationRequested(() => child.kill());
    child.on('error', (spawnError) => {
      clearTimeout(timer);
      cancel.dispose();
      resolve({ exitCode: null, output, spawnError });
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      cancel.dispose();
      resolve({ exitCode, output });
    });
  });
}

export async function installNativeBackend(
  context: vscode.ExtensionContext,
  engine: { info(): Promise<EngineInfo>; restart(): Promise<void> },
  log: vscode.LogOutputChannel,
): Promise<NativeInstallResult> {
  const folder = nativeBackendFolder(context);
  const fail = (reason: string, backend: string): NativeInstallResult => {
    const message = `Could not install the native TensorFlow backend: ${reason}. Deep Learning Kit keeps using the ${backend} backend.`;
    log.warn(`native backend: ${message}`);
    void vscode.window.showErrorMessage(message, 'Show Log').then((choice) => {
      if (choice) log.show();
    });
    return { installed: false, message, folder };
  };

  const current = await engine.info();
  if (current.backend === 'tensorflow') {
    const message = 'The native TensorFlow backend is already in use.';
    void vscode.window.showInformationMessage(message);
    return { installed: true, message, folder };
  }
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'package.json'), JSON.stringify({ name: 'deep-learning-kit-native-backend', private: true }) + '\n');
  const spec = `@tensorflow/tfjs-node@${current.tfjsVersion}`;
  const run = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Installing ${spec}…`, cancellable: true },
    (_progress, token) =>
      runNpm(['install', '--no-save', '--no-audit', '--no-fund', '--foreground-scripts', spec], folder, token, log).then((result) =>
        token.isCancellationRequested ? { ...result, exitCode: -1 } : result,
      ),
  );

  if (run.spawnError) {
    return fail(`npm could not be started (${run.spawnError.message}); install Node.js with npm, or run \`npm install ${spec}\` in ${folder}`, current.backend);
  }
  if (run.exitCode === -1) return fail('the installation was cancelled', current.backend);
  if (run.exitCode !== 0) return fail(explainNpmFailure(run.output), current.backend);
  await engine.restart();
  const after = await engine.info();
  if (after.backend !== 'tensorflow') {
    const why = after.attempts.find((attempt) => attempt.backend === 'tensorflow')?.error ?? after.reason;
    return fail(`${spec} was installed but does not load (${why})`, after.backend);
  }
  const message = `Installed ${spec}: the engine now runs on native TensorFlow.`;
  log.info(`native backend: ${message}`);
  void vscode.window.showInformationMessage(message);
  return { installed: true, message, folder };
}
