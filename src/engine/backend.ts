/**
 * Chooses the TensorFlow.js backend at engine start: native TensorFlow
 * (tfjs-node) when it loads, else WebAssembly, else plain JavaScript.
 */
import * as tf from '@tensorflow/tfjs-core';
// Registers the cpu backend and its kernels when evaluated (esbuild.mjs keeps this import).
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { BACKENDS, type BackendAttempt, type BackendName, type BackendPreference, type WasmFeatures } from '../protocol/engine';

export interface BackendChoice {
  backend: BackendName;
  reason: string;
  attempts: BackendAttempt[];
  wasm?: WasmFeatures;
}

export interface BackendOptions {
  preference: BackendPreference;
  /** Folders that may hold node_modules/@tensorflow/tfjs-node, tried in order. */
  nativeSearchPaths: string[];
  /** Folder with the tfjs-backend-wasm `.wasm` binaries. */
  wasmDirectory: string;
}

export class NoBackendError extends Error {
  override name = 'NoBackendError';
}

const TFJS_NODE = '@tensorflow/tfjs-node';

/** Loads tfjs-node from the first search path that has it; it registers the `tensorflow` backend. */
function loadNativeModule(searchPaths: string[]): void {
  for (const folder of searchPaths) {
    const requireFrom = createRequire(path.join(folder, 'package.json'));
    let resolved: string;
    try {
      resolved = requireFrom.resolve(TFJS_NODE);
    } catch {
      continue; // not installed there
    }
    try {
      requireFrom(resolved);
      return;
    } catch (error) {
      throw new Error(`${TFJS_NODE} in ${folder} failed to load: ${firstLine(error)}`);
    }
  }
  // The folders searched are part of EngineInfo; the message stays short.
  throw new Error(`${TFJS_NODE} is not installed`);
}

async function activate(backend: BackendName, options: BackendOptions): Promise<void> {
  if (backend === 'tensorflow') loadNativeModule(options.nativeSearchPaths);
  if (backend === 'wasm') setWasmPaths(options.wasmDirectory.endsWith(path.sep) ? options.wasmDirectory : options.wasmDirectory + path.sep);
  // setBackend answers false (after logging) when the backend's init fails.
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) throw new Error(`TensorFlow.js could not initialise the ${backend} backend`);
  // A tiny op proves the kernels really run.
  const sum = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]);
  if (sum !== 3) throw new Error(`the ${backend} backend computed 1 + 2 = ${String(sum)}`);
}

async function wasmFeatures(): Promise<WasmFeatures> {
  return {
    simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
    multithreading: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
    threads: getThreadsCount(),
  };
}

function describeChoice(chosen: BackendName, preference: BackendPreference, attempts: BackendAttempt[]): string {
  if (preference !== 'auto') return `${chosen} was requested instead of the automatic choice`;
  const failed = attempts.filter((attempt) => !attempt.ok);
  if (failed.length === 0) return `${chosen} is the fastest backend available`;
  return `${chosen} is the fastest backend that loaded; ${failed.map((a) => `${a.backend}: ${a.error}`).join('; ')}`;
}

/** Tries the backends in order (or just the preferred one) and activates the first that works. */
export async function chooseBackend(options: BackendOptions): Promise<BackendChoice> {
  const candidates: readonly BackendName[] = options.preference === 'auto' ? BACKENDS : [options.preference];
  const attempts: BackendAttempt[] = [];
  for (const backend of candidates) {
    const started = performance.now();
    try {
      await activate(backend, options);
      attempts.push({ backend, ok: true, milliseconds: elapsed(started) });
      return {
        backend,
        reason: describeChoice(backend, options.preference, attempts),
        attempts,
        ...(backend === 'wasm' ? { wasm: await wasmFeatures() } : {}),
      };
    } catch (error) {
      attempts.push({ backend, ok: false, milliseconds: elapsed(started), error: firstLine(error) });
    }
  }
  const details = attempts.map((a) => `${a.backend}: ${a.error}`).join('; ');
  throw new NoBackendError(`No TensorFlow.js backend could start (${details})`);
}

function elapsed(since: number): number {
  return Math.round((performance.now() - since) * 10) / 10;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? 'unknown error';
}
