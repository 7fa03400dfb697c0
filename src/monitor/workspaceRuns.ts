/**
 * Where runs come from in VS Code: the `deepLearningKit.monitor.logGlobs`
 * patterns searched in every workspace folder, and file-system watchers on
 * the same patterns that tell the registry when something changed.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runsFromFiles } from '../formats/runDiscovery';
import type { DiscoveredRun } from './runRegistry';

const EXCLUDE = '**/{node_modules,.git,.venv,venv,__pycache__,site-packages,.mypy_cache,.pytest_cache}/**';
const MAX_FILES = 20_000;

export function logGlobs(): string[] {
  const globs = vscode.workspace.getConfiguration('deepLearningKit.monitor').get<string[]>('logGlobs') ?? [];
  return globs.filter((glob) => typeof glob === 'string' && glob.trim() !== '');
}

/** One brace pattern for the search (`{a,b}`), or the single glob. */
function combined(globs: string[]): string {
  return globs.length === 1 ? globs[0]! : `{${globs.join(',')}}`;
}

export async function discoverWorkspaceRuns(): Promise<DiscoveredRun[]> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file');
  const globs = logGlobs();
  if (globs.length === 0) return [];
  const found: DiscoveredRun[] = [];
  for (const folder of folders) {
    const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, combined(globs)), EXCLUDE, MAX_FILES);
    const runs = await runsFromFiles(
      folder.uri.fsPath,
      uris.map((uri) => uri.fsPath),
    );
    for (const source of runs) {
      const relative = path.relative(folder.uri.fsPath, source.path) || path.basename(source.path);
      found.push({ source, name: folders.length > 1 ? `${folder.name}/${relative}` : relative });
    }
  }
  return found;
}

/** Watchers on the log patterns of every folder; rebuilt when folders or settings change. */
export function watchWorkspaceRuns(onFile: (file: string) => void, onLayoutChanged: () => void): vscode.Disposable {
  let watchers: vscode.Disposable[] = [];
  const build = (): void => {
    for (const watcher of watchers) watcher.dispose();
    watchers = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      for (const glob of logGlobs()) {
        const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, glob));
        const forward = (uri: vscode.Uri) => onFile(uri.fsPath);
        watchers.push(watcher, watcher.onDidCreate(forward), watcher.onDidChange(forward), watcher.onDidDelete(forward));
      }
    }
  };
  build();
  const folderChanges = vscode.workspace.onDidChangeWorkspaceFolders(() => {
    build();
    onLayoutChanged();
  });
  const settingChanges = vscode.workspace.onDidChangeConfiguration((event) => {
    if (!event.affectsConfiguration('deepLearningKit.monitor.logGlobs')) return;
    build();
    onLayoutChanged();
  });
  return new vscode.Disposable(() => {
    for (const watcher of watchers) watcher.dispose();
    folderChanges.dispose();
    settingChanges.dispose();
  });
}
