/**
 * What the training output channels and error messages say about a run:
 * the line that opens it, the line that closes it, and why it could not start.
 */
import * as path from 'node:path';
import { formatArguments } from './commandLine';
import type { KillOutcome, ProcessExit } from './processTree';

/** Where the interpreter came from, as the header line names it. */
export type InterpreterSource = 'python extension' | 'setting' | 'default';

export interface Interpreter {
  /** The program: a path or a name looked up on PATH. */
  command: string;
  /** Arguments before the script's (a `conda run -n env python` command, say). */
  prefixArgs: string[];
  source: InterpreterSource;
}

/** `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.floor(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
}

/** `▶ python3 -u train.py --smoke  (interpreter: /usr/bin/python3, from: python extension)` */
export function headerLine(interpreter: Interpreter, scriptArgs: readonly string[]): string {
  const program = path.basename(interpreter.command);
  return `▶ ${formatArguments([program, ...interpreter.prefixArgs, ...scriptArgs])}  (interpreter: ${interpreter.command}, from: ${interpreter.source})`;
}

/** `■ exited with code 0 after 12.3 s`, `■ stopped after 4 min 05 s`, … */
export function footerLine(exit: ProcessExit, seconds: number, stop: KillOutcome | undefined): string {
  const after = `after ${formatDuration(seconds)}`;
  if (stop === 'killed') return `■ stopped (killed: it did not end after SIGTERM) ${after}`;
  if (stop !== undefined) return `■ stopped ${after}`;
  if (exit.signal) return `■ ended by ${exit.signal} ${after}`;
  return `■ exited with code ${exit.code ?? '?'} ${after}`;
}

/** Why the interpreter did not start, and what to do about it. */
export function startFailureMessage(interpreter: Interpreter, code: string | undefined, detail: string): string {
  const choose =
    'Choose another with the "Python: Select Interpreter" command (Python extension) or the setting deepLearningKit.training.pythonPath.';
  const which = `The Python interpreter "${interpreter.command}" (from: ${interpreter.source})`;
  if (code === 'ENOENT') return `${which} was not found. ${choose}`;
  if (code === 'EACCES') return `${which} is not executable. ${choose}`;
  return `${which} could not be started: ${detail}. ${choose}`;
}
