import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { chooseBackend } from '../engine/backend';
import { describeEngine } from '../engine/info';
import { BACKENDS, type BackendPreference, type EngineInfo } from '../protocol/engine';
import { UsageError, type CliCommand } from './command';

export const PREFERENCES: readonly string[] = ['auto', ...BACKENDS];

/** Folders searched for tfjs-node: $DLKIT_NATIVE_BACKEND_DIR, then this package's own node_modules. */
export function nativeSearchPaths(): string[] {
  const fromEnv = process.env['DLKIT_NATIVE_BACKEND_DIR'];
  return [...(fromEnv ? [fromEnv] : []), path.dirname(__dirname)];
}

export function formatEngineInfo(info: EngineInfo): string {
  const rows: Array<[string, string]> = [
    ['backend', info.backend],
    ['why', info.reason],
    ['TF.js', info.tfjsVersion],
    ['Node.js', `${info.nodeVersion} (${info.platform}-${info.arch})`],
    ['pid', String(info.pid)],
    ['started in', `${info.startupMilliseconds} ms`],
    ['tfjs-node in', info.nativeSearchPaths.join(', ') || '(nowhere)'],
  ];
  if (info.wasm) {
    rows.push(['WebAssembly', `SIMD ${info.wasm.simd ? 'on' : 'off'}, multithreading ${info.wasm.multithreading ? 'on' : 'off'}, ${info.wasm.threads} thread(s)`]);
  }
  for (const attempt of info.attempts) {
    rows.push([`tried ${attempt.backend}`, `${attempt.ok ? 'loaded' : `failed: ${attempt.error ?? ''}`} (${attempt.milliseconds} ms)`]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  return ['Deep Learning Kit engine', ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join('\n');
}

export const infoCommand: CliCommand = {
  summary: 'which TensorFlow.js backend runs models here, and why',
  usage: `Usage: dlkit info [--json] [--backend auto|tensorflow|wasm|cpu]

Starts the engine as the extension does and reports the backend it chose
(native TensorFlow, else WebAssembly, else plain JavaScript), the TF.js and
Node.js versions and every backend it tried.

  --json             print the report as JSON
  --backend NAME     use only this backend (default: auto)

Environment: DLKIT_NATIVE_BACKEND_DIR, a folder holding
node_modules/@tensorflow/tfjs-node, is searched first.`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { json: { type: 'boolean', default: false }, backend: { type: 'string', default: 'auto' } },
      strict: true,
      allowPositionals: false,
    });
    if (!PREFERENCES.includes(values.backend)) {
      throw new UsageError(`--backend must be one of ${PREFERENCES.join(', ')}, not "${values.backend}"`);
    }
    const searchPaths = nativeSearchPaths();
    const choice = await chooseBackend({
      preference: values.backend as BackendPreference,
      nativeSearchPaths: searchPaths,
      wasmDirectory: path.join(__dirname, 'wasm'),
    });
    const info = describeEngine(choice, searchPaths);
    io.out(values.json ? JSON.stringify(info, null, 2) : formatEngineInfo(info));
    return 0;
  },
};
