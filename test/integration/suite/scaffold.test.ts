import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AddModelResult, NewProjectResult } from '../../../src/scaffold/feature';
import { generateProject } from '../../../src/scaffold/generate';
import { templatesOnDisk } from '../../../src/scaffold/templateFiles';

const EXTENSION_ID = 'deep-learning-kit.deep-learning-kit';

function workspace(): string {
  const folder = process.env['DLKIT_TEST_WORKSPACE'];
  assert.ok(folder, 'DLKIT_TEST_WORKSPACE is not set');
  return folder;
}

function templatesDir(): string {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension);
  return path.join(extension.extensionPath, 'dist', 'templates');
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** The README of `folder` is the active tab: as a Markdown preview ("Preview README.md") or as text. */
function readmeShown(folder: string): boolean {
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  if (!tab) return false;
  if (tab.input instanceof vscode.TabInputText) return tab.input.uri.fsPath === path.join(folder, 'README.md');
  return tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('markdown.preview') && tab.label.includes('README.md');
}

/**
 * Runs a command that asks questions, and answers each quick input with
 * `answer` (a workbench command) until the command settles.
 */
async function answering<T>(run: Thenable<T>, answer: string, timeoutMs = 20_000): Promise<T> {
  let settled = false;
  const result = Promise.resolve(run).finally(() => {
    settled = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (!settled) {
    if (Date.now() > deadline) throw new Error(`the command did not settle while answering with ${answer}`);
    await new Promise((done) => setTimeout(done, 250));
    if (!settled) await vscode.commands.executeCommand(answer);
  }
  return result;
}

const newProject = async (args?: object): Promise<NewProjectResult | undefined> => vscode.commands.executeCommand('deepLearningKit.newProject', args);

describe('scaffolding', () => {
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('New Project with every answer in its argument writes the project, opens README.md and returns what it wrote', async () => {
    const result = await newProject({ architecture: 'cnn', style: 'pytorch', parentFolder: workspace(), name: 'my_cnn' });
    assert.ok(result, 'the command returned nothing');
    const folder = path.join(workspace(), 'my_cnn');
    assert.equal(result.folder, folder);
    assert.deepEqual(result.options, { architecture: 'cnn', style: 'pytorch', name: 'my_cnn', dataset: 'synthetic' });
    for (const needed of ['README.md', 'train.py', 'model.py', 'data.py', 'config.toml', '.vscode/launch.json']) {
      assert.ok(result.files.includes(needed), `${needed} is not among ${result.files.join(', ')}`);
    }
    const expected = generateProject(result.options, templatesOnDisk(templatesDir()));
    assert.deepEqual(result.files, expected.map((f) => f.path));
    for (const f of expected) assert.equal(readFileSync(path.join(folder, f.path), 'utf8'), f.content, f.path);
    await waitFor(() => readmeShown(folder), 'README.md of my_cnn to be the active tab');
  });

  it('a second New Project with the same name and no overwrite rejects, naming the files, and changes nothing', async () => {
    const train = path.join(workspace(), 'my_cnn', 'train.py');
    writeFileSync(train, '# my edits\n');
    await assert.rejects(
      newProject({ architecture: 'cnn', style: 'pytorch', parentFolder: workspace(), name: 'my_cnn' }),
      (error: unknown) => error instanceof Error && /my_cnn already has files the project would replace: .*train\.py.*Pass overwrite: true/.test(error.message),
    );
    assert.equal(readFileSync(train, 'utf8'), '# my edits\n');
  });

  it('overwrite: true replaces them', async () => {
    const result = await newProject({ architecture: 'cnn', style: 'pytorch', parentFolder: workspace(), name: 'my_cnn', overwrite: true });
    assert.ok(result);
    assert.notEqual(readFileSync(path.join(result.folder, 'train.py'), 'utf8'), '# my edits\n');
  });

  it('New CNN Project names the project cnn_pytorch, then cnn_pytorch_2, with synthetic data', async () => {
    const run = () => vscode.commands.executeCommand<NewProjectResult>('deepLearningKit.newCnnProject', { style: 'pytorch', parentFolder: workspace() });
    const first = await run();
    const second = await run();
    assert.deepEqual(
      [first.folder, second.folder],
      [path.join(workspace(), 'cnn_pytorch'), path.join(workspace(), 'cnn_pytorch_2')],
    );
    assert.equal(second.options.dataset, 'synthetic');
    assert.ok(existsSync(path.join(second.folder, 'train.py')));
    await waitFor(() => readmeShown(second.folder), 'README.md of cnn_pytorch_2');
  });

  it('refuses options it cannot use with a clear message', async () => {
    await assert.rejects(newProject({ architecture: 'mlp', parentFolder: workspace(), name: 'x' }), /Unknown architecture "mlp"/);
    await assert.rejects(newProject({ architecture: 'cnn', style: 'pytorch', parentFolder: workspace(), name: 'my-proj' }), /not a valid project name/);
    assert.equal(existsSync(path.join(workspace(), 'x')), false);
  });

  it('from the palette (no argument) it asks; Escape returns undefined and writes nothing', async () => {
    const result = await answering(newProject(), 'workbench.action.closeQuickOpen');
    assert.equal(result, undefined);
    assert.equal(existsSync(path.join(workspace(), 'cnn_pytorch_3')), false);
  });

  it('from the palette, accepting each first choice and the proposed name creates the next free CNN project', async () => {
    const result = await answering(newProject(), 'workbench.action.acceptSelectedQuickOpenItem');
    assert.ok(result);
    assert.deepEqual(result.options, { architecture: 'cnn', style: 'pytorch', name: 'cnn_pytorch_3', dataset: 'synthetic' });
    assert.equal(result.folder, path.join(workspace(), 'cnn_pytorch_3'));
    assert.ok(existsSync(path.join(result.folder, 'model.py')));
  });

  describe('Add Model to File', () => {
    afterEach(async () => {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });

    it('inserts the PyTorch CNN model at the cursor of an untitled Python document, without repeating its imports', async () => {
      const document = await vscode.workspace.openTextDocument({ language: 'python', content: 'import torch.nn as nn\n\n' });
      const editor = await vscode.window.showTextDocument(document);
      editor.selection = new vscode.Selection(2, 0, 2, 0);
      const result = await vscode.commands.executeCommand<AddModelResult>('deepLearningKit.addModelToFile', { architecture: 'cnn', style: 'pytorch' });
      assert.ok(result);
      assert.equal(result.uri, document.uri.toString());
      assert.equal(result.line, 2);
      const text = document.getText();
      assert.match(text, /^class \w+\(nn\.Module\):/m);
      assert.ok(text.startsWith('import torch.nn as nn\n\n'), 'inserted at the cursor, after the existing text');
      assert.equal(text.match(/^import torch\.nn as nn$/gm)?.length, 1, 'the import the file has is not repeated');
      assert.equal(text, `import torch.nn as nn\n\n${result.text}`);
    });

    it('refuses when the active editor is not Python', async () => {
      const notes = path.join(workspace(), 'notes.txt');
      writeFileSync(notes, 'notes\n');
      const document = await vscode.workspace.openTextDocument(notes);
      await vscode.window.showTextDocument(document);
      assert.equal(document.languageId, 'plaintext');
      await assert.rejects(
        async () => vscode.commands.executeCommand('deepLearningKit.addModelToFile', { architecture: 'cnn', style: 'pytorch' }),
        /open a Python file first/,
      );
      assert.equal(document.getText(), 'notes\n');
      assert.equal(document.isDirty, false);
    });
  });
});
