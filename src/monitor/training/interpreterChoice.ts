/**
 * The pure parts of choosing the Python interpreter (python.ts asks vscode):
 * reading the Python extension's API, whose shape depends on its version and
 * is checked at every step, and reading the pythonPath setting.
 */
import * as path from 'node:path';

/** The interpreter command (program, then arguments before the script), or why there is none. */
export type PythonExtensionAnswer = { command: string[] } | { problem: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `environments.getActiveEnvironmentPath` + `resolveEnvironment` (the extension's API since 2022). */
async function fromEnvironments(environments: Record<string, unknown>, resource: unknown): Promise<PythonExtensionAnswer> {
  const { getActiveEnvironmentPath, resolveEnvironment } = environments;
  if (typeof getActiveEnvironmentPath !== 'function' || typeof resolveEnvironment !== 'function') {
    return { problem: 'its environments API lacks getActiveEnvironmentPath/resolveEnvironment' };
  }
  const active: unknown = getActiveEnvironmentPath.call(environments, resource);
  if (!isRecord(active)) return { problem: 'it has no active environment' };
  const resolved: unknown = await resolveEnvironment.call(environments, active);
  const executable = isRecord(resolved) && isRecord(resolved['executable']) ? resolved['executable'] : undefined;
  const uri = executable?.['uri'];
  const fsPath = isRecord(uri) ? uri['fsPath'] : undefined;
  if (typeof fsPath === 'string' && fsPath !== '') return { command: [fsPath] };
  const name = typeof active['path'] === 'string' ? ` ${active['path']}` : '';
  return { problem: `its active environment${name} has no executable` };
}

/** `settings.getExecutionDetails(resource).execCommand` (older versions). */
function fromExecutionDetails(settings: Record<string, unknown>, resource: unknown): PythonExtensionAnswer {
  const { getExecutionDetails } = settings;
  if (typeof getExecutionDetails !== 'function') return { problem: 'its API has neither environments nor settings.getExecutionDetails' };
  const details: unknown = getExecutionDetails.call(settings, resource);
  const command = isRecord(details) ? details['execCommand'] : undefined;
  if (Array.isArray(command) && command.length > 0 && command.every((part) => typeof part === 'string' && part !== '')) {
    return { command: command as string[] };
  }
  return { problem: 'it gave no execution command' };
}

/**
 * The interpreter the Python extension has selected for `resource`, from its
 * exported API (after activation). Never throws: a missing or failing API is
 * a problem to report, and the caller falls through to the next choice.
 */
export async function commandFromPythonExtension(api: unknown, resource: unknown): Promise<PythonExtensionAnswer> {
  if (!isRecord(api)) return { problem: 'it exports no API' };
  const problems: string[] = [];
  try {
    const ready = api['ready'];
    if (isRecord(ready) && typeof ready['then'] === 'function') await (ready as unknown as PromiseLike<unknown>);
  } catch (error) {
    return { problem: `it did not get ready: ${message(error)}` };
  }
  if (isRecord(api['environments'])) {
    try {
      const answer = await fromEnvironments(api['environments'], resource);
      if ('command' in answer) return answer;
      problems.push(answer.problem);
    } catch (error) {
      problems.push(`its environments API failed: ${message(error)}`);
    }
  }
  if (isRecord(api['settings'])) {
    try {
      const answer = fromExecutionDetails(api['settings'], resource);
      if ('command' in answer) return answer;
      problems.push(answer.problem);
    } catch (error) {
      problems.push(`settings.getExecutionDetails failed: ${message(error)}`);
    }
  }
  return { problem: problems.length > 0 ? problems.join('; ') : 'its API has neither environments nor settings' };
}

/**
 * The pythonPath setting as a program: `~` is the home folder,
 * `${workspaceFolder}` and relative paths (with a folder part) are the
 * script's workspace folder; a bare name stays a name for PATH to find.
 */
export function expandInterpreterSetting(value: string, home: string, workspaceFolder: string | undefined): string {
  let expanded = value.trim();
  if (expanded === '~' || expanded.startsWith('~/') || expanded.startsWith('~\\')) expanded = home + expanded.slice(1);
  if (workspaceFolder !== undefined) {
    expanded = expanded.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
    if (/[/\\]/.test(expanded) && !path.isAbsolute(expanded)) expanded = path.join(workspaceFolder, expanded);
  }
  return expanded;
}

export function defaultPythonCommand(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'python' : 'python3';
}
