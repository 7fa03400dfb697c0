/**
 * Messages between the extension host (or any other client) and the engine
 * worker process. Plain JSON only; imports neither `vscode` nor the DOM.
 */
import type { ModelSummary, RunOptions, RunResult, WeightStats } from './model';

/** TensorFlow.js backends the engine can run on, fastest first. */
export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendPreference = 'auto' | BackendName;

/** One try to load a backend while the engine starts. */
export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  milliseconds: number;
  /** Why it did not load (absent when `ok`). */
  error?: string;
}

export interface WasmFeatures {
  simd: boolean;
  multithreading: boolean;
  threads: number;
}

/** What `Deep Learning: Show Engine Info` and `dlkit info` report. */
export interface EngineInfo {
  backend: BackendName;
  /** One sentence: why this backend. */
  reason: string;
  attempts: BackendAttempt[];
  tfjsVersion: string;
  nodeVersion: string;
  pid: number;
  platform: string;
  arch: string;
  /** Set when the WebAssembly backend runs. */
  wasm?: WasmFeatures;
  /** Where the native backend was looked for. */
  nativeSearchPaths: string[];
  /** Epoch milliseconds when the engine finished starting. */
  readyAt: number;
  /** Milliseconds from process start to ready. */
  startupMilliseconds: number;
}

/** How the worker is told what to do at start (JSON in its first argument). */
export interface WorkerOptions {
  backend: BackendPreference;
  /** Folders holding a node_modules/@tensorflow/tfjs-node, tried in order. */
  nativeSearchPaths: string[];
}

/** Request methods, their parameters and results. Later features add entries. */
export interface EngineMethods {
  'engine/info': { params: Record<string, never>; result: EngineInfo };
  /** Parses and analyses a model file: the layer table, without reading weight values. */
  'model/summary': { params: { file: string }; result: ModelSummary };
  /** Reads every weight tensor once and reports its statistics. */
  'model/weightStats': { params: { file: string }; result: WeightStats[] };
  /** Rebuilds the model in TF.js (once) and runs it on generated input. */
  'model/run': { params: { file: string; options: RunOptions }; result: RunResult };
  /** Forgets the file: closes it and frees its rebuilt model. */
  'model/close': { params: { file: string }; result: null };
}
export type EngineMethod = keyof EngineMethods;
export type ParamsOf<M extends EngineMethod> = EngineMethods[M]['params'];
export type ResultOf<M extends EngineMethod> = EngineMethods[M]['result'];

export interface EngineRequest<M extends EngineMethod = EngineMethod> {
  kind: 'request';
  id: number;
  method: M;
  params: ParamsOf<M>;
}

export interface EngineErrorPayload {
  /** The error class, e.g. `FormatError`. */
  name: string;
  message: string;
}

export type EngineResponse =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: EngineErrorPayload };

/** Sent by the worker without a request. */
export type EngineNotification =
  | { kind: 'ready'; info: EngineInfo }
  | { kind: 'startFailed'; error: EngineErrorPayload };

export type WorkerToHost = EngineResponse | EngineNotification;
export type HostToWorker = EngineRequest;

export function isWorkerToHost(value: unknown): value is WorkerToHost {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'response' || kind === 'ready' || kind === 'startFailed';
}
