/**
 * EngineClient against the real engine bundle (dist/worker.js): starting,
 * matching replies, crashes, automatic restarts, the crash-loop limit and
 * shutdown. Every test disposes its clients and checks that no worker
 * process it started is left running.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EngineClient, EngineError, EngineStoppedError, type EngineClientOptions } from '../../src/host/engineClient';
import type { EngineInfo, EngineMethod } from '../../src/protocol/engine';

// Tests run from the repository root (the bundled test file lives in out/unit).
const root = process.cwd();
const workerPath = path.join(root, 'dist', 'worker.js');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves when `listener` sees a change that `predicate` accepts; fails after `ms`. */
function nextChange(client: EngineClient, predicate: (info: EngineInfo | undefined) => boolean, ms = 15_000): Promise<EngineInfo | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`no matching engine change within ${ms} ms`));
    }, ms);
    const subscription = client.onDidChange((info) => {
      if (!predicate(info)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(info);
    });
  });
}

/** Rejects if `promise` does not settle within `ms`, so a hang fails with a message instead of a mocha timeout. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('EngineClient with the real worker', () => {
  let clients: EngineClient[] = [];
  let startedPids: number[] = [];
  let noNativeFolder: string;

  before(() => {
    assert.ok(readFileSync(workerPath).length > 0, `${workerPath} is missing: run npm run build first`);
    // A folder without node_modules/@tensorflow/tfjs-node: the native backend cannot load,
    // whether or not tfjs-node happens to be installed in the repository.
    noNativeFolder = mkdtempSync(path.join(tmpdir(), 'dlkit-no-native-'));
  });

  after(() => rmSync(noNativeFolder, { recursive: true, force: true }));

  function makeClient(overrides: Partial<EngineClientOptions> = {}): EngineClient {
    const client = new EngineClient({
      workerPath,
      workerOptions: { backend: 'auto', nativeSearchPaths: [noNativeFolder] },
      restartDelayMs: 60_000,
      log: (line) => {
        const started = /^engine: started pid (\d+)/.exec(line);
        if (started) startedPids.push(Number(started[1]));
      },
      ...overrides,
    });
    clients.push(client);
    return client;
  }

  /** SIGKILLs the client's worker and waits until the client has noticed. */
  async function killWorker(client: EngineClient): Promise<number> {
    const pid = client.pid;
    assert.ok(pid !== undefined, 'no worker is running');
    const stopped = nextChange(client, (info) => info === undefined);
    process.kill(pid, 'SIGKILL');
    await stopped;
    return pid;
  }

  afterEach(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    const leaked = startedPids.filter(isAlive);
    for (const pid of leaked) process.kill(pid, 'SIGKILL'); // so a leak fails this test instead of hanging mocha
    clients = [];
    startedPids = [];
    assert.deepEqual(leaked, [], 'worker processes still running after dispose()');
  });

  it('starts a worker on the first request and reports the WebAssembly backend', async () => {
    const client = makeClient();
    assert.equal(client.pid, undefined, 'no worker may start before the first request');
    const info = await client.request('engine/info', {});

    assert.equal(info.backend, 'wasm');
    assert.deepEqual(
      info.attempts.map(({ backend, ok }) => ({ backend, ok })),
      [
        { backend: 'tensorflow', ok: false },
        { backend: 'wasm', ok: true },
      ],
    );
    assert.match(info.attempts[0]?.error ?? '', /@tensorflow\/tfjs-node is not installed/);
    assert.match(info.reason, /tensorflow/);
    assert.equal(info.tfjsVersion, '4.22.0');
    const installed = JSON.parse(readFileSync(path.join(root, 'node_modules/@tensorflow/tfjs-core/package.json'), 'utf8')) as { version: string };
    assert.equal(info.tfjsVersion, installed.version);
    assert.ok(info.wasm, 'the wasm backend reports its features');
    assert.deepEqual(info.nativeSearchPaths, [noNativeFolder]);

    assert.equal(typeof info.pid, 'number');
    assert.notEqual(info.pid, process.pid);
    assert.equal(info.pid, client.pid);
    assert.ok(isAlive(info.pid));
    assert.deepEqual(startedPids, [info.pid]);
  });

  it('matches concurrent requests to their own replies, on one worker', async () => {
    const client = makeClient();
    // Unknown methods answer with an error naming the method, so each reply is recognisable.
    const methods = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 'engine/info' : `test/unknown-${i}`));
    const results = await Promise.allSettled(methods.map((method) => client.request(method as EngineMethod, {})));

    results.forEach((result, i) => {
      const method = methods[i];
      if (method === 'engine/info') {
        assert.equal(result.status, 'fulfilled', `request ${i} (${method})`);
        assert.equal(result.status === 'fulfilled' && (result.value as EngineInfo).backend, 'wasm');
      } else {
        assert.equal(result.status, 'rejected', `request ${i} (${method})`);
        const reason: unknown = result.status === 'rejected' ? result.reason : undefined;
        assert.ok(reason instanceof EngineError);
        assert.equal(reason.message, `Unknown engine method: ${method}`);
      }
    });
    assert.equal(startedPids.length, 1, 'all requests share one worker');
  });

  it('answers an unknown method with an error and keeps serving', async () => {
    const client = makeClient();
    await assert.rejects(client.request('no/such-method' as EngineMethod, {}), (error: unknown) => {
      assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
      assert.match(error.message, /Unknown engine method: no\/such-method/);
      return true;
    });
    const pid = client.pid;
    const info = await client.request('engine/info', {});
    assert.equal(info.pid, pid, 'the same worker still answers');
  });

  it('rejects a pending request with EngineStoppedError when the worker is killed, and starts a new one for the next', async () => {
    const client = makeClient();
    const first = await client.request('engine/info', {});

    const pending = client.request('engine/info', {});
    process.kill(first.pid, 'SIGKILL');
    await assert.rejects(within(pending, 10_000, 'the pending request'), EngineStoppedError);

    const second = await client.request('engine/info', {});
    assert.notEqual(second.pid, first.pid);
    assert.equal(second.backend, 'wasm');
    assert.equal(isAlive(first.pid), false);
    assert.deepEqual(startedPids, [first.pid, second.pid]);
  });

  it('rejects a request waiting for the worker to start when the worker is killed', async () => {
    const client = makeClient();
    const pending = client.request('engine/info', {});
    const pid = client.pid;
    assert.ok(pid !== undefined, 'the request starts a worker at once');
    process.kill(pid, 'SIGKILL');
    await assert.rejects(within(pending, 10_000, 'the request'), (error: unknown) => {
      assert.ok(error instanceof EngineStoppedError, `expected EngineStoppedError, got ${String(error)}`);
      assert.match(error.message, /SIGKILL/);
      return true;
    });
    const info = await client.request('engine/info', {});
    assert.notEqual(info.pid, pid);
  });

  it('drops a worker whose channel broke before its exit was seen, so the next request starts a new one', async () => {
    // A stand-in worker that answers once, then closes its IPC channel but keeps running:
    // what the host sees in the moment between a crash and its exit event.
    const fakeWorker = path.join(noNativeFolder, 'closes-channel-worker.js');
    writeFileSync(
      fakeWorker,
      `const info = { backend: 'cpu', reason: 'fake', attempts: [], tfjsVersion: '0', nodeVersion: process.version, pid: process.pid,
         platform: process.platform, arch: process.arch, nativeSearchPaths: [], readyAt: Date.now(), startupMilliseconds: 0 };
       process.send({ kind: 'ready', info });
       process.on('message', (message) => {
         process.send({ kind: 'response', id: message.id, ok: true, result: info }, () => process.disconnect());
       });
       setTimeout(() => undefined, 60000);`,
    );
    const client = makeClient({ workerPath: fakeWorker });
    const first = await client.request('engine/info', {});
    // Wait until the host has seen the channel close (the worker stays alive).
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(isAlive(first.pid));
    await assert.rejects(client.request('engine/info', {}), (error: unknown) => {
      assert.ok(error instanceof EngineStoppedError, `expected EngineStoppedError, got ${String(error)}`);
      assert.match(error.message, /Could not reach the engine process/);
      return true;
    });
    const second = await within(client.request('engine/info', {}), 10_000, 'the request after the broken channel');
    assert.notEqual(second.pid, first.pid, 'a new worker answers');
    assert.equal(startedPids.length, 2);
  });

  it('restarts a crashed worker by itself after restartDelayMs', async () => {
    const restartDelayMs = 300;
    const client = makeClient({ restartDelayMs });
    const first = await client.request('engine/info', {});

    const restarted = nextChange(client, (info) => info !== undefined);
    await killWorker(client);
    const crashedAt = Date.now();
    assert.equal(client.pid, undefined, 'no worker runs right after the crash');

    const info = await restarted;
    assert.ok(info);
    assert.ok(Date.now() - crashedAt >= restartDelayMs - 10, `restarted after ${Date.now() - crashedAt} ms, before the delay`);
    assert.notEqual(info.pid, first.pid);
    assert.equal(client.pid, info.pid);
    assert.ok(isAlive(info.pid));

    // The next request uses the worker that is already running.
    const again = await client.request('engine/info', {});
    assert.equal(again.pid, info.pid);
    assert.equal(startedPids.length, 2);
  });

  it('stops restarting after more than maxCrashes crashes, until restart()', async () => {
    const client = makeClient({ maxCrashes: 1, restartDelayMs: 50 });
    await client.request('engine/info', {});
    await killWorker(client); // crash 1: within the limit
    await client.request('engine/info', {});
    await killWorker(client); // crash 2: one too many
    // Neither the automatic restart nor a request may start another worker now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(client.pid, undefined);
    await assert.rejects(client.request('engine/info', {}), (error: unknown) => {
      assert.ok(error instanceof EngineStoppedError, `expected EngineStoppedError, got ${String(error)}`);
      assert.match(error.message, /crashed 2 times/);
      assert.match(error.message, /Restart Engine/);
      return true;
    });
    assert.equal(startedPids.length, 2, 'no worker was started after the limit');

    await client.restart();
    const info = await client.request('engine/info', {});
    assert.equal(info.backend, 'wasm');
    assert.equal(startedPids.length, 3);
  });

  it('fails to start with an error naming tfjs-node when the tensorflow backend is required', async () => {
    const client = makeClient({ workerOptions: { backend: 'tensorflow', nativeSearchPaths: [noNativeFolder] } });
    const check = (error: unknown): boolean => {
      assert.ok(error instanceof EngineError, `expected EngineError, got ${String(error)}`);
      assert.equal(error.name, 'NoBackendError');
      assert.match(error.message, /@tensorflow\/tfjs-node is not installed/);
      assert.doesNotMatch(error.message, /wasm|cpu/, 'no other backend was tried');
      return true;
    };
    await assert.rejects(within(client.request('engine/info', {}), 15_000, 'the request'), check);
    // Later requests get the same answer instead of waiting forever.
    await assert.rejects(within(client.request('engine/info', {}), 5_000, 'the second request'), check);
  });

  it('rejects with a clear EngineStoppedError when the runtime does not exist', async () => {
    const runtime = path.join(noNativeFolder, 'no-such-node');
    const client = makeClient({ runtime });
    await assert.rejects(within(client.request('engine/info', {}), 10_000, 'the request'), (error: unknown) => {
      assert.ok(error instanceof EngineStoppedError, `expected EngineStoppedError, got ${String(error)}`);
      assert.match(error.message, /could not run/);
      assert.ok(error.message.includes(runtime), `the message names the runtime: ${error.message}`);
      return true;
    });
    assert.equal(client.pid, undefined);
  });

  it('dispose() ends the worker process and refuses later requests', async () => {
    const client = makeClient();
    const { pid } = await client.request('engine/info', {});
    assert.ok(isAlive(pid));
    await client.dispose();
    assert.equal(isAlive(pid), false, `worker ${pid} still runs after dispose()`);
    assert.equal(client.pid, undefined);
    await assert.rejects(client.request('engine/info', {}), EngineStoppedError);
  });

  it('restart() replaces a running worker', async () => {
    const client = makeClient();
    const first = await client.request('engine/info', {});
    await client.restart();
    assert.equal(isAlive(first.pid), false);
    const second = await client.request('engine/info', {});
    assert.notEqual(second.pid, first.pid);
  });
});
