import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeepLearningKitApi } from '../../../src/extension';

const EXTENSION_ID = 'deep-learning-kit.deep-learning-kit';

function workspaceFile(...parts: string[]): vscode.Uri {
  const root = process.env['DLKIT_TEST_WORKSPACE'];
  assert.ok(root, 'DLKIT_TEST_WORKSPACE is not set');
  return vscode.Uri.file(path.join(root, ...parts));
}

async function api(): Promise<DeepLearningKitApi> {
  const extension = vscode.extensions.getExtension<DeepLearningKitApi>(EXTENSION_ID);
  assert.ok(extension);
  return extension.activate();
}

function activeTabInput(): unknown {
  return vscode.window.tabGroups.activeTabGroup.activeTab?.input;
}

async function waitForActiveTab(predicate: (input: unknown) => boolean, what: string): Promise<unknown> {
  const deadline = Date.now() + 15_000;
  while (!predicate(activeTabInput())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; active tab input: ${JSON.stringify(activeTabInput())}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  return activeTabInput();
}

const isCustom = (viewType: string) => (input: unknown) => input instanceof vscode.TabInputCustom && input.viewType === viewType;

describe('model summary', () => {
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('is the default editor for Keras .h5 files', async () => {
    const uri = workspaceFile('models', 'keras_cnn_mnist.h5');
    await vscode.commands.executeCommand('vscode.open', uri);
    const input = await waitForActiveTab(isCustom('deepLearningKit.modelSummary'), 'the Model Summary editor');
    assert.equal((input as vscode.TabInputCustom).uri.fsPath, uri.fsPath);
  });

  it('is the default editor for PyTorch, ONNX and safetensors files too', async () => {
    for (const name of ['mnist_cnn.pt', 'mnist_cnn_legacy.pth', 'checkpoint_epoch3.pt', 'mnist_cnn.onnx', 'tiny_mlp.safetensors']) {
      const uri = workspaceFile('models', name);
      await vscode.commands.executeCommand('vscode.open', uri);
      const input = await waitForActiveTab(isCustom('deepLearningKit.modelSummary'), `the Model Summary editor for ${name}`);
      assert.equal((input as vscode.TabInputCustom).uri.fsPath, uri.fsPath);
    }
  });

  it('leaves model.json to the text editor, and opens it with Open Model Summary', async () => {
    const uri = workspaceFile('models', 'tfjs_mlp', 'model.json');
    await vscode.commands.executeCommand('vscode.open', uri);
    await waitForActiveTab((input) => input instanceof vscode.TabInputText, 'the text editor');
    await vscode.commands.executeCommand('deepLearningKit.openModelSummary', uri);
    await waitForActiveTab(isCustom('deepLearningKit.tfjsModelSummary'), 'the TF.js Model Summary editor');
  });

  it('summarises in the engine process and names the file when the file is corrupt, and the engine lives on', async () => {
    const { engine } = await api();
    const good = await engine.client.request('model/summary', { file: workspaceFile('models', 'keras_cnn_mnist.h5').fsPath });
    assert.equal(good.format, 'keras-h5');
    assert.ok(good.totalParams > 0);
    const pid = engine.client.pid;

    const broken = workspaceFile('models', 'broken.h5').fsPath;
    writeFileSync(broken, Buffer.from('\x89HDF\r\n\x1a\n' + 'x'.repeat(40)));
    await assert.rejects(engine.client.request('model/summary', { file: broken }), (error: Error) => {
      assert.equal(error.name, 'FormatError');
      assert.match(error.message, /^broken\.h5: /);
      return true;
    });
    assert.equal(engine.client.pid, pid, 'the same worker answers after a bad file');
    const again = await engine.client.request('model/summary', { file: workspaceFile('models', 'keras_cnn_mnist.h5').fsPath });
    assert.equal(again.totalParams, good.totalParams);
  });

  it('Open Model Summary on a file that is not a model leaves its text editor in front', async () => {
    const uri = workspaceFile('train.log');
    await vscode.commands.executeCommand('vscode.open', uri);
    await waitForActiveTab((input) => input instanceof vscode.TabInputText, 'the text editor');
    await vscode.commands.executeCommand('deepLearningKit.openModelSummary', uri);
    const input = activeTabInput();
    assert.ok(input instanceof vscode.TabInputText && input.uri.fsPath === uri.fsPath, `active tab: ${JSON.stringify(input)}`);
  });
});
