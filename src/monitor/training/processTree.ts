/**
 * Training processes as process trees: started so that the whole tree
 * (DataLoader workers, torchrun's children) can be ended at once, and ended
 * politely first (SIGTERM to the process group), then for sure (SIGKILL).
 * Plain Node, no `vscode`, so the tests drive real processes.
 *
 * On Linux an exited process that nobody reaps (a zombie: an orphan whose
 * init does not wait for it) still answers `kill(pid, 0)`; /proc tells them
 * apart, so zombies count as gone.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { LineSplitter } from './outputLines';

export type OutputStream = 'stdout' | 'stderr';

export interface StartProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  onLine(line: string, stream: OutputStream): void;
  /** See LineSplitterOptions. */
  progressIntervalMs?: number;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartedProcess {
  readonly pid: number;
  /** Settles once the process has exited and its output has been read. */
  readonly exited: Promise<ProcessExit>;
}

/** The program could not be started at all; `code` is Node's (ENOENT: not found, EACCES: not executable). */
export class ProcessStartError extends Error {
  override name = 'ProcessStartError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** How long output may still arrive after the main process exited (descendants holding the pipes). */
const OUTPUT_AFTER_EXIT_MS = 1000;

/**
 * Starts a process that leads its own process group (POSIX), with its output
 * split into lines. Resolves once it runs; rejects with a ProcessStartError
 * when it cannot start.
 */
export function startProcess(options: StartProcessOptions): Promise<StartedProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const splitters = (['stdout', 'stderr'] as const).map((stream) => {
      const splitter = new LineSplitter({
        onLine: (line) => options.onLine(line, stream),
        ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
      });
      const source = child[stream];
      source.setEncoding('utf8');
      source.on('data', (chunk: string) => splitter.feed(chunk));
      return splitter;
    });
    let running = false;
    // Later errors (a failed kill) change nothing: the exit is what counts.
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (!running) reject(new ProcessStartError(error.message, error.code));
    });
    child.once('spawn', () => {
      running = true;
      const pid = child.pid;
      if (pid === undefined) {
        reject(new ProcessStartError(`${options.command} started without a process id.`, undefined));
        return;
      }
      const exited = new Promise<ProcessExit>((resolveExit) => {
        let exit: ProcessExit | undefined;
        let settled = false;
        const settle = (): void => {
          if (settled || !exit) return;
          settled = true;
          clearTimeout(timer);
          child.stdout.destroy();
          child.stderr.destroy();
          for (const splitter of splitters) splitter.end();
          resolveExit(exit);
        };
        let timer: NodeJS.Timeout | undefined;
        child.once('exit', (code, signal) => {
          exit = { code, signal };
          timer = setTimeout(settle, OUTPUT_AFTER_EXIT_MS);
        });
        // 'close' follows 'exit' once every pipe is closed: all output has been read.
        child.once('close', (code, signal) => {
          exit ??= { code, signal };
          settle();
        });
      });
      resolve({ pid, exited });
    });
  });
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** pid, state and parent of a process from /proc (Linux only); undefined when there is none. */
function procStat(pid: number): { state: string; ppid: number; pgrp: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, ppid, pgrp] = [fields[0] ?? '', Number(fields[1]), Number(fields[2])];
  return Number.isInteger(ppid) && Number.isInteger(pgrp) ? { state, ppid, pgrp } : undefined;
}

const useProc = process.platform === 'linux';

/** Whether the process runs (zombies do not). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
  if (!useProc) return true;
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** Whether any process of the group runs (zombies do not). */
function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
  if (!useProc) return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  return entries.some((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    const stat = procStat(Number(entry));
    return stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z';
  });
}

/** The parent of a process, when the platform tells (Linux: /proc; other POSIX: ps). */
export function parentPid(pid: number): number | undefined {
  if (useProc) return procStat(pid)?.ppid;
  if (process.platform === 'win32') return undefined;
  try {
    const answer = Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000, windowsHide: true }).trim());
    return Number.isInteger(answer) && answer > 0 ? answer : undefined;
  } catch {
    return undefined;
  }
}

/** The first of `ancestors` that is `pid` itself or one of its ancestors, if any. */
export function ancestorAmong(pid: number, ancestors: ReadonlySet<number>, parentOf: (pid: number) => number | undefined = parentPid): number | undefined {
  let current: number | undefined = pid;
  // Bounded: a process tree is not deep, and a racing reuse of pids must not loop.
  for (let depth = 0; depth < 64 && current !== undefined && current > 1; depth++) {
    if (ancestors.has(current)) return current;
    current = parentOf(current);
  }
  return undefined;
}

function signalTree(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
    return;
  } catch (error) {
    if (errorCode(error) !== 'ESRCH') throw error;
  }
  // No such group (the process left it, or is gone): the process alone.
  try {
    process.kill(pid, signal);
  } catch (error) {
    if (errorCode(error) !== 'ESRCH') throw error;
  }
}

function treeAlive(pid: number): boolean {
  return isGroupAlive(pid) || isProcessAlive(pid);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntilGone(pid: number, ms: number, pollMs: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!treeAlive(pid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(pollMs);
  }
}

export interface KillTreeOptions {
  /** How long the tree has to end after SIGTERM before SIGKILL. */
  graceMs?: number;
  pollMs?: number;
}

/** `gone`: nothing ran; `terminated`: SIGTERM sufficed; `killed`: SIGKILL was needed (always so on Windows). */
export type KillOutcome = 'gone' | 'terminated' | 'killed';

/**
 * Ends a process started by startProcess and everything in its process group:
 * SIGTERM, then SIGKILL to what is left after the grace period. Resolves when
 * nothing of the group runs any more. On Windows: `taskkill /T /F`.
 */
export async function killTree(pid: number, options: KillTreeOptions = {}): Promise<KillOutcome> {
  const { graceMs = 5000, pollMs = 50 } = options;
  if (process.platform === 'win32') return killTreeWindows(pid);
  if (!treeAlive(pid)) return 'gone';
  signalTree(pid, 'SIGTERM');
  if (await waitUntilGone(pid, graceMs, pollMs)) return 'terminated';
  signalTree(pid, 'SIGKILL');
  await waitUntilGone(pid, 5000, pollMs);
  return 'killed';
}

function killTreeWindows(pid: number): Promise<KillOutcome> {
  if (!isProcessAlive(pid)) return Promise.resolve('gone');
  return new Promise((resolve) => {
    // Fails only when the process is already gone.
    execFile('taskkill', ['/T', '/F', '/PID', String(pid)], { windowsHide: true }, () => resolve('killed'));
  });
}
