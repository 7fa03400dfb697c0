/**
 * The engine process. Forked by the extension host with an IPC channel; it
 * chooses the TF.js backend at start, then answers requests with plain JSON.
 * Started with the options as JSON in argv[2].
 */
import * as path from 'node:path';
import { chooseBackend } from '../engine/backend';
import { describeEngine } from '../engine/info';
import { ModelStore } from '../engine/modelStore';
import { warmUpHdf5 } from '../formats/hdf5';
import type { EngineErrorPayload, EngineInfo, EngineMethod, EngineMethods, HostToWorker, WorkerOptions, WorkerToHost } from '../protocol/engine';

type Handlers = { [M in EngineMethod]: (params: EngineMethods[M]['params']) => Promise<EngineMethods[M]['result']> };

function send(message: WorkerToHost): void {
  process.send?.(message);
}

function toPayload(error: unknown): EngineErrorPayload {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}

function readOptions(): WorkerOptions {
  const parsed = JSON.parse(process.argv[2] ?? '{}') as Partial<WorkerOptions>;
  return { backend: parsed.backend ?? 'auto', nativeSearchPaths: parsed.nativeSearchPaths ?? [] };
}

async function start(options: WorkerOptions): Promise<EngineInfo> {
  const choice = await chooseBackend({
    preference: options.backend,
    nativeSearchPaths: options.nativeSearchPaths,
    wasmDirectory: path.join(__dirname, 'wasm'),
  });
  return describeEngine(choice, options.nativeSearchPaths);
}

function main(): void {
  if (!process.send) {
    console.error('dist/worker.js is the engine process of Deep Learning Kit; it must be started with an IPC channel.');
    process.exit(2);
  }
  const ready = start(readOptions());
  ready.then(
    (info) => {
      send({ kind: 'ready', info });
      // Most model files are HDF5: have its library compiled before the first one arrives.
      void warmUpHdf5();
    },
    (error: unknown) => {
      send({ kind: 'startFailed', error: toPayload(error) });
    },
  );

  const models = new ModelStore();
  // Model requests wait for the backend: analysis asks tfjs-layers which classes it knows.
  const handlers: Handlers = {
    'engine/info': async () => ready,
    'model/summary': async ({ file }) => {
      await ready;
      return models.summary(file);
    },
    'model/weightStats': async ({ file }) => {
      await ready;
      return models.weightStats(file);
    },
    'model/run': async ({ file, options }) => {
      await ready;
      return models.run(file, options);
    },
    'model/close': async ({ file }) => {
      models.close(file);
      return null;
    },
  };

  process.on('message', (message: HostToWorker) => {
    if (message?.kind !== 'request') return;
    const handler = handlers[message.method] as ((params: unknown) => Promise<unknown>) | undefined;
    const answer = handler
      ? handler(message.params)
      : Promise.reject(new Error(`Unknown engine method: ${String(message.method)}`));
    answer.then(
      (result) => send({ kind: 'response', id: message.id, ok: true, result }),
      (error: unknown) => send({ kind: 'response', id: message.id, ok: false, error: toPayload(error) }),
    );
  });
  // The host went away (closed or crashed): nothing left to serve.
  process.on('disconnect', () => process.exit(0));
}

main();
