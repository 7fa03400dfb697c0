/**
 * What the panel and the status bar show of a tracked run: its status (from
 * the log, the writer's pid and whether the files still grow), progress,
 * time left and colour.
 */
import type { RunStatus, RunView } from '../protocol/monitorView';
import type { RunTracker } from './runTracker';
import { isProcessAlive } from './training/processTree';

/** Files that grew this recently count as a running run when the log states no status. */
export const ACTIVE_WINDOW_MS = 60_000;
/** A run that says "running" but has no pid to check and wrote nothing for this long is stale. */
export const STALE_AFTER_MS = 10 * 60_000;

/** Colours that stay apart on dark and light themes (and for the common colour blindnesses, mostly). */
export const RUN_COLOURS = ['#4e9bde', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#edc948', '#76b7b2', '#ff9da7', '#9c755f', '#bab0ac'];

export interface StatusInputs {
  stated: 'running' | 'finished' | 'failed' | undefined;
  pid: number | undefined;
  /** Whether that pid names a live process here (undefined: cannot tell). */
  pidAlive: boolean | undefined;
  lastGrowthMs: number | undefined;
  /** When the newest point was written, by its own timestamp (ms), if the log says. */
  lastWriteMs: number | undefined;
  nowMs: number;
  /** The state of the training process started from this window that writes the run, if any. */
  ownProcess: 'running' | 'ended' | undefined;
}

export function runStatus(inputs: StatusInputs): RunStatus {
  if (inputs.ownProcess === 'running') return 'running';
  if (inputs.stated === 'finished' || inputs.stated === 'failed') return inputs.stated;
  if (inputs.stated === 'running' && inputs.ownProcess === 'ended') return 'stopped';
  const growing = inputs.lastGrowthMs !== undefined && inputs.nowMs - inputs.lastGrowthMs < ACTIVE_WINDOW_MS;
  if (inputs.stated === 'running') {
    // A dead writer that said "running" was killed before it could say otherwise. The pid may
    // belong to another machine (a cluster writing to a shared disk): growing files overrule it.
    if (inputs.pidAlive === false && !growing) return 'stopped';
    // No pid to ask and nothing written for long: a stale run (killed elsewhere), not a running one.
    const stale = inputs.pidAlive === undefined && !growing && inputs.lastWriteMs !== undefined && inputs.nowMs - inputs.lastWriteMs > STALE_AFTER_MS;
    return stale ? 'idle' : 'running';
  }
  return growing ? 'running' : 'idle';
}

export interface Progress {
  step?: number;
  epoch?: number;
  plannedSteps?: number;
  plannedEpochs?: number;
  /** Unix seconds of the first and latest point. */
  firstWallTime?: number;
  lastWallTime?: number;
  /** Unix seconds when the run started, if the log says. */
  started?: number;
}

/**
 * Seconds left at the pace so far (steps when both counts are known, else
 * epochs, whose last one counts as done only once the next has begun).
 */
export function etaSeconds(progress: Progress): number | undefined {
  const start = progress.started ?? progress.firstWallTime;
  if (start === undefined || progress.lastWallTime === undefined) return undefined;
  const elapsed = progress.lastWallTime - start;
  if (!(elapsed > 0)) return undefined;
  if (progress.step !== undefined && progress.plannedSteps !== undefined && progress.step > 0) {
    if (progress.step >= progress.plannedSteps) return 0;
    return ((progress.plannedSteps - progress.step) * elapsed) / progress.step;
  }
  if (progress.epoch !== undefined && progress.plannedEpochs !== undefined) {
    const done = progress.epoch - 1;
    if (done <= 0) return undefined;
    if (progress.epoch > progress.plannedEpochs) return 0;
    return ((progress.plannedEpochs - done) * elapsed) / done;
  }
  return undefined;
}

/** Whether a process with this pid lives on this machine (a zombie does not); undefined: no pid to ask. */
function pidAlive(pid: number | undefined): boolean | undefined {
  return pid === undefined || !Number.isInteger(pid) || pid <= 0 ? undefined : isProcessAlive(pid);
}

/** The training process started from this window that writes the run. */
export interface OwnProcess {
  id: number;
  running: boolean;
}

export function runView(run: RunTracker, name: string, colour: string, nowMs: number, own: OwnProcess | undefined): RunView {
  const info = run.info;
  const status = runStatus({
    stated: info.status,
    pid: info.pid,
    pidAlive: info.status === 'running' ? pidAlive(info.pid) : undefined,
    lastGrowthMs: run.lastGrowthMs,
    lastWriteMs: run.lastWallTime !== undefined ? run.lastWallTime * 1000 : undefined,
    nowMs,
    ownProcess: own === undefined ? undefined : own.running ? 'running' : 'ended',
  });
  const view: RunView = {
    id: run.id,
    name: info.name && info.name !== name.split('/').pop() ? `${name} (${info.name})` : name,
    path: run.source.path,
    format: run.source.format,
    colour,
    status,
    hparams: run.hparams,
    images: run.images,
    skipped: run.skipped,
    warnings: run.warnings,
  };
  const started = info.started ?? run.firstWallTime;
  if (started !== undefined) view.started = started;
  if (info.ended !== undefined) view.ended = info.ended;
  const lastUpdate = run.lastWallTime ?? (run.lastGrowthMs !== undefined ? run.lastGrowthMs / 1000 : undefined);
  if (lastUpdate !== undefined) view.lastUpdate = lastUpdate;
  if (run.step !== undefined) view.step = run.step;
  if (run.epoch !== undefined) view.epoch = run.epoch;
  if (info.plannedSteps !== undefined) view.plannedSteps = info.plannedSteps;
  if (info.plannedEpochs !== undefined) view.plannedEpochs = info.plannedEpochs;
  if (status === 'running') {
    const progress: Progress = {};
    if (run.step !== undefined) progress.step = run.step;
    if (run.epoch !== undefined) progress.epoch = run.epoch;
    if (info.plannedSteps !== undefined) progress.plannedSteps = info.plannedSteps;
    if (info.plannedEpochs !== undefined) progress.plannedEpochs = info.plannedEpochs;
    if (run.firstWallTime !== undefined) progress.firstWallTime = run.firstWallTime;
    if (run.lastWallTime !== undefined) progress.lastWallTime = run.lastWallTime;
    if (info.started !== undefined) progress.started = info.started;
    const eta = etaSeconds(progress);
    if (eta !== undefined) view.etaSeconds = eta;
  }
  if (own?.running) view.processId = own.id;
  if (info.newerFormat) view.newerFormat = true;
  return view;
}
