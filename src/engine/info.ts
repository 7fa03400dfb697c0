import { version_core } from '@tensorflow/tfjs-core';
import type { EngineInfo } from '../protocol/engine';
import type { BackendChoice } from './backend';

/** The engine's self-description, shared by the worker and the CLI. */
export function describeEngine(choice: BackendChoice, nativeSearchPaths: string[]): EngineInfo {
  const now = Date.now();
  return {
    backend: choice.backend,
    reason: choice.reason,
    attempts: choice.attempts,
    tfjsVersion: version_core,
    nodeVersion: process.version,
    pid: process.pid,
    platform: process.platform,
    arch: process.arch,
    ...(choice.wasm ? { wasm: choice.wasm } : {}),
    nativeSearchPaths,
    readyAt: now,
    startupMilliseconds: Math.round(process.uptime() * 1000),
  };
}
