/**
 * Training processes started from this window: each runs `python -u <script>`
 * in the script's folder, with its output in an output channel of its own
 * ("Training: mnist_cnn/train.py", reused by later runs of the script), and
 * ends with its whole process tree when stopped or when the window closes.
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrainingProcessView } from '../../protocol/monitorView';
import { BatchedLines } from './batchedLines';
import { ancestorAmong, isProcessAlive, killTree, ProcessStartError, startProcess, type KillOutcome, type ProcessExit, type StartedProcess } from './processTree';
import { resolvePythonInterpreter } from './python';
import { footerLine, formatDuration, headerLine, startFailureMessage } from './runnerText';
import { projectLabel, scriptLabel } from './scripts';

/** Language id of the training output channels (package.json's `training-log` grammar). */
export const TRAINING_LOG_LANGUAGE = 'training-log';
/** Ended processes stay listed until this many are listed. */
const MAX_LISTED = 20;
/** Answers of ownsPid for pids other than ours, reused for a while (`ps` is slow where /proc is missing). */
const OWNER_CACHE_MS = 3000;

interface TrainingOutput {
  channel: vscode.OutputChannel;
  lines: BatchedLines;
  /** A run writes into it now. */
  busy: boolean;
  used: boolean;
}

interface TrainingEntry {
  view: TrainingProcessView;
  running: boolean;
  /** Settles after the view shows the exit. */
  finished: Promise<ProcessExit>;
  stopping?: Promise<KillOutcome>;
}

export interface TrainingRunnerOptions {
  /** How long a stopped process tree has to end after SIGTERM before SIGKILL. */
  graceMs?: number;
}

export class TrainingRunner implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** A process started or ended. */
  readonly onDidChange: vscode.Event<void> = this.changed.event;
  /** Newest first. */
  private entries: TrainingEntry[] = [];
  /** By script path; a script run twice at once gets a second channel. */
  private readonly outputs = new Map<string, TrainingOutput[]>();
  private ownerCache = new Map<number, { owner: number | undefined; at: number }>();
  private readonly graceMs: number;
  private disposed = false;

  constructor(
    readonly log: vscode.LogOutputChannel,
    options: TrainingRunnerOptions = {},
  ) {
    this.graceMs = options.graceMs ?? 5000;
  }

  /** Newest first: the running ones and the last ended ones of this session. */
  processes(): TrainingProcessView[] {
    return this.entries.map((entry) => ({ ...entry.view }));
  }

  async start(script: string, args: string[] = []): Promise<TrainingProcessView> {
    if (this.disposed) throw new Error('Training cannot start: the window is closing.');
    if (!vscode.workspace.isTrusted) {
      throw new Error('Training scripts run only in a trusted workspace: this one is in Restricted Mode. Trust it (Workspaces: Manage Workspace Trust) to start training.');
    }
    const file = path.resolve(script);
    if (!(await stat(file).catch(() => undefined))?.isFile()) throw new Error(`The training script ${file} does not exist.`);
    const interpreter = await resolvePythonInterpreter(vscode.Uri.file(file), this.log);
    if (this.disposed) throw new Error('Training cannot start: the window is closing.');
    const scriptArgs = ['-u', path.basename(file), ...args];
    const output = this.takeOutput(file);
    if (output.used) output.lines.line('');
    output.used = true;
    output.lines.line(headerLine(interpreter, scriptArgs));
    output.channel.show(true);

    let started: StartedProcess;
    try {
      started = await startProcess({
        command: interpreter.command,
        args: [...interpreter.prefixArgs, ...scriptArgs],
        cwd: path.dirname(file),
        // Unbuffered output shows progress as it happens; UTF-8 is what the output is decoded as.
        env: { PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
        onLine: (line) => output.lines.line(line),
      });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const text = startFailureMessage(interpreter, error instanceof ProcessStartError ? error.code : undefined, detail);
      output.lines.line(`■ ${text}`);
      output.lines.flush();
      output.busy = false;
      this.log.error(`training: ${text}`);
      throw new Error(text);
    }

    const startedAt = Date.now();
    const view: TrainingProcessView = { id: started.pid, script: file, label: scriptLabel(file), started: startedAt / 1000 };
    const entry: TrainingEntry = {
      view,
      running: true,
      finished: started.exited.then((exit) => {
        entry.running = false;
        view.exitCode = exit.code;
        view.signal = exit.signal;
        this.trim();
        this.ownerCache.clear();
        this.changed.fire();
        return exit;
      }),
    };
    void entry.finished.then(async (exit) => {
      const outcome = await entry.stopping?.catch(() => undefined);
      const seconds = (Date.now() - startedAt) / 1000;
      output.lines.line(footerLine(exit, seconds, outcome));
      output.lines.flush();
      output.busy = false;
      this.log.info(`training: ${view.label} (pid ${view.id}) ${outcome ? 'stopped' : exit.signal ? `ended by ${exit.signal}` : `exited with code ${exit.code}`} after ${formatDuration(seconds)}`);
    });
    this.entries.unshift(entry);
    this.trim();
    this.ownerCache.clear();
    this.log.info(`training: started ${view.label} as pid ${view.id} in ${path.dirname(file)}`);
    this.changed.fire();
    return { ...view };
  }

  /** Ends the process tree; resolves when the process has exited. Nothing happens for one that is not running. */
  async stop(id: number): Promise<void> {
    const entry = this.entries.find((candidate) => candidate.view.id === id);
    if (!entry?.running) return;
    if (!entry.stopping) {
      this.log.info(`training: stopping ${entry.view.label} (pid ${id})`);
      const stopping = killTree(id, { graceMs: this.graceMs }).then(async (outcome) => {
        await entry.finished;
        return outcome;
      });
      entry.stopping = stopping;
      // A failed attempt (EPERM) may be retried.
      stopping.catch(() => {
        if (entry.stopping === stopping) delete entry.stopping;
      });
    }
    await entry.stopping;
  }

  /** The id of the running process that is `pid` or an ancestor of it, if `pid` is alive. */
  ownsPid(pid: number): number | undefined {
    const running = new Set(this.entries.filter((entry) => entry.running).map((entry) => entry.view.id));
    if (running.size === 0 || !isProcessAlive(pid)) return undefined;
    if (running.has(pid)) return pid;
    const cached = this.ownerCache.get(pid);
    if (cached && Date.now() - cached.at < OWNER_CACHE_MS) return cached.owner;
    const owner = ancestorAmong(pid, running);
    if (this.ownerCache.size > 1000) this.ownerCache.clear();
    this.ownerCache.set(pid, { owner, at: Date.now() });
    return owner;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const entry of this.entries) {
      if (entry.running) void killTree(entry.view.id, { graceMs: this.graceMs }).catch(() => undefined);
    }
    for (const outputs of this.outputs.values()) {
      for (const output of outputs) {
        output.lines.close();
        output.channel.dispose();
      }
    }
    this.outputs.clear();
    this.changed.dispose();
  }

  /** The script's first channel no run writes into now, created when needed. */
  private takeOutput(file: string): TrainingOutput {
    const outputs = this.outputs.get(file) ?? [];
    this.outputs.set(file, outputs);
    let output = outputs.find((candidate) => !candidate.busy);
    if (!output) {
      const name = `Training: ${projectLabel(file)}${outputs.length > 0 ? ` (${outputs.length + 1})` : ''}`;
      const channel = vscode.window.createOutputChannel(name, TRAINING_LOG_LANGUAGE);
      output = { channel, lines: new BatchedLines((text) => channel.append(text)), busy: false, used: false };
      outputs.push(output);
    }
    output.busy = true;
    return output;
  }

  private trim(): void {
    const room = Math.max(0, MAX_LISTED - this.entries.filter((entry) => entry.running).length);
    let kept = 0;
    this.entries = this.entries.filter((entry) => entry.running || kept++ < room);
  }
}
