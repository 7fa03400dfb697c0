import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { expandSnippet } from '../../../src/snippets/expand';

interface SnippetEntry {
  prefix: string;
  body: string[];
}

const EXTENSION_ID = 'deep-learning-kit.deep-learning-kit';

function contributedSnippets(): Array<{ name: string; snippet: SnippetEntry }> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension);
  const files = (extension.packageJSON as { contributes: { snippets: Array<{ path: string }> } }).contributes.snippets;
  return files.flatMap((file) =>
    Object.entries(JSON.parse(readFileSync(path.join(extension.extensionPath, file.path), 'utf8')) as Record<string, SnippetEntry>).map(
      ([name, snippet]) => ({ name, snippet }),
    ),
  );
}

/** Ignores the indentation VS Code applies on insertion (tabs become the editor's indent). */
function normalise(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n');
}

describe('snippets in a Python file', () => {
  let document: vscode.TextDocument;

  before(async () => {
    document = await vscode.workspace.openTextDocument({ language: 'python', content: '' });
    await vscode.window.showTextDocument(document);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('offers every prefix as a snippet completion', async () => {
    const snippets = contributedSnippets();
    assert.ok(snippets.length >= 60, `only ${snippets.length} snippets are contributed`);
    const missing: string[] = [];
    for (const style of ['torch', 'keras', 'tf']) {
      const editor = vscode.window.activeTextEditor;
      assert.ok(editor);
      await editor.edit((edit) => edit.replace(new vscode.Range(0, 0, document.lineCount, 0), `${style}-`));
      const list = await vscode.commands.executeCommand<vscode.CompletionList>(
        'vscode.executeCompletionItemProvider',
        document.uri,
        new vscode.Position(0, style.length + 1),
      );
      const offered = new Set(
        list.items
          .filter((item) => item.kind === vscode.CompletionItemKind.Snippet)
          .map((item) => (typeof item.label === 'string' ? item.label : item.label.label)),
      );
      for (const { snippet } of snippets.filter(({ snippet }) => snippet.prefix.startsWith(`${style}-`))) {
        if (!offered.has(snippet.prefix)) missing.push(snippet.prefix);
      }
    }
    assert.deepEqual(missing, [], 'prefixes VS Code does not offer');
  });

  it('inserts torch-cnn by name exactly as its expansion', async () => {
    const { name, snippet } = contributedSnippets().find(({ snippet }) => snippet.prefix === 'torch-cnn') ?? assert.fail('no torch-cnn');
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor);
    await editor.edit((edit) => edit.delete(new vscode.Range(0, 0, document.lineCount, 0)));
    await vscode.commands.executeCommand('editor.action.insertSnippet', { langId: 'python', name });
    assert.equal(normalise(document.getText()), normalise(expandSnippet(snippet.body)));
    assert.match(document.getText(), /class ConvNet\(nn\.Module\)/);
  });
});
