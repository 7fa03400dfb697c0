import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DeepLearningKitApi } from '../../../src/extension';
import type { EngineInfo } from '../../../src/protocol/engine';
import type { NativeInstallResult } from '../../../src/host/nativeBackend';

const EXTENSION_ID = 'deep-learning-kit.deep-learning-kit';

function extension(): vscode.Extension<DeepLearningKitApi> {
  const found = vscode.extensions.getExtension<DeepLearningKitApi>(EXTENSION_ID);
  assert.ok(found, `${EXTENSION_ID} is not installed`);
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

function engineInfoTabOpen(): boolean {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .some((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('deepLearningKit.engineInfo'));
}

const showEngineInfo = () => vscode.commands.executeCommand<EngineInfo>('deepLearningKit.showEngineInfo');

describe('engine', () => {
  it('starts no engine process before a command needs one (the extension itself activates for the workspace\'s training runs)', async () => {
    // demo/ holds run logs: the extension activates on its own to follow them (status bar),
    // but the engine process starts only when a model or command asks for it.
    const api = await extension().activate();
    assert.equal(api.engine.client.pid, undefined);
  });

  it('Show Engine Info answers from the worker on the WASM backend and opens the panel', async () => {
    const info = await showEngineInfo();
    assert.ok(info, 'the command returned no engine info');
    assert.equal(info.backend, 'wasm');
    assert.match(info.reason, /tfjs-node/);
    assert.deepEqual(info.attempts.map((a) => [a.backend, a.ok]), [['tensorflow', false], ['wasm', true]]);
    assert.notEqual(info.pid, process.pid, 'the engine must run in its own process');
    assert.ok(isAlive(info.pid));
    assert.equal(info.tfjsVersion, '4.22.0');
    assert.ok(extension().isActive);
    await waitFor(engineInfoTabOpen, 'the Engine Info tab');
  });

  it('restarts the worker after it is killed; the next request succeeds and the host lives on', async () => {
    const before = await showEngineInfo();
    assert.ok(before);
    process.kill(before.pid, 'SIGKILL');
    await waitFor(() => !isAlive(before.pid), 'the killed worker to go');
    const after = await showEngineInfo();
    assert.ok(after, 'no answer after the crash');
    assert.notEqual(after.pid, before.pid);
    assert.equal(after.backend, 'wasm');
    assert.ok(isAlive(after.pid));
    // The extension host (this process) and the extension are unaffected.
    assert.ok(extension().isActive);
    assert.equal(extension().exports.engine.client.pid, after.pid);
  });

  it('Restart Engine starts a new worker', async () => {
    const before = await showEngineInfo();
    assert.ok(before);
    const after = await vscode.commands.executeCommand<EngineInfo>('deepLearningKit.restartEngine');
    assert.notEqual(after.pid, before.pid);
    await waitFor(() => !isAlive(before.pid), 'the old worker to exit');
  });

  it('follows the backend setting', async () => {
    const settings = vscode.workspace.getConfiguration('deepLearningKit.engine');
    await settings.update('backend', 'cpu', vscode.ConfigurationTarget.Global);
    try {
      // The configuration listener restarts the engine; wait until it answers on cpu.
      const deadline = Date.now() + 20_000;
      let info = await extension().exports.engine.info();
      while (info.backend !== 'cpu' && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 200));
        info = await extension().exports.engine.info().catch(() => info);
      }
      assert.equal(info.backend, 'cpu');
      assert.match(info.reason, /requested/);
    } finally {
      await settings.update('backend', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('Install Native TensorFlow Backend fails here with a clear message and leaves WASM working', async function () {
    this.timeout(10 * 60_000);
    const result = await vscode.commands.executeCommand<NativeInstallResult>('deepLearningKit.installNativeBackend');
    assert.equal(result.installed, false);
    assert.match(result.message, /Could not install the native TensorFlow backend: .*libtensorflow/);
    assert.match(result.message, /keeps using the wasm backend/);
    const info = await showEngineInfo();
    assert.ok(info);
    assert.equal(info.backend, 'wasm');
  });
});
