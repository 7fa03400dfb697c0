/**
 * Model Summary: a read-only custom editor for Keras (.h5, .hdf5, .hd5,
 * .keras), PyTorch (.pt, .pth, .ckpt, pytorch_model.bin), ONNX, safetensors
 * and TF.js (model.json, as an option so plain JSON stays text) model files,
 * and the commands that open it.
 */
import * as vscode from 'vscode';
import type { Engine } from '../host/engineFeature';
import { SummaryEditor, reopenAsText, type EngineRequests } from './summaryEditor';

/** The editor for binary model files: Keras, PyTorch, ONNX, safetensors (default for them). */
export const BINARY_VIEW_TYPE = 'deepLearningKit.modelSummary';
/** The same editor for TF.js model.json files (an option: "Open With…", the commands). */
export const TFJS_VIEW_TYPE = 'deepLearningKit.tfjsModelSummary';

const BINARY_MODEL_EXTENSIONS = ['.h5', '.hdf5', '.hd5', '.keras', '.pt', '.pth', '.ckpt', '.onnx', '.safetensors'];

/** Which of our editors opens this file, if any. */
export function viewTypeFor(uri: vscode.Uri): string | undefined {
  const name = uri.path.toLowerCase();
  if (BINARY_MODEL_EXTENSIONS.some((extension) => name.endsWith(extension)) || name.endsWith('/pytorch_model.bin')) return BINARY_VIEW_TYPE;
  if (name.endsWith('.json')) return TFJS_VIEW_TYPE;
  return undefined;
}

class ModelDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {
    // Nothing is held per document: the engine keeps the parsed file.
  }
}

class SummaryEditorProvider implements vscode.CustomReadonlyEditorProvider<ModelDocument> {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly engine: Engine,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Cheap on purpose: the engine reads the file once the editor shows. */
  openCustomDocument(uri: vscode.Uri): ModelDocument {
    return new ModelDocument(uri);
  }

  resolveCustomEditor(document: ModelDocument, panel: vscode.WebviewPanel): void {
    // The client is looked up per request: Restart Engine replaces it.
    const engine: EngineRequests = {
      request: (method, params) => this.engine.client.request(method, params),
      forget: (file) => {
        if (this.engine.client.pid !== undefined) void this.engine.client.request('model/close', { file }).catch(() => undefined);
      },
    };
    new SummaryEditor(document.uri, panel, this.extensionUri, engine, this.log);
  }
}

function targetUri(uri: unknown): vscode.Uri | undefined {
  if (uri instanceof vscode.Uri) return uri;
  return vscode.window.activeTextEditor?.document.uri ?? activeCustomEditorUri();
}

function activeCustomEditorUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom ? input.uri : undefined;
}

async function openModelSummary(uri: unknown): Promise<void> {
  const target = targetUri(uri);
  if (!target) {
    void vscode.window.showWarningMessage('Open Model Summary: select a model file (.h5, .keras, .pt, .pth, .ckpt, .onnx, .safetensors or a TF.js model.json) first.');
    return;
  }
  const viewType = viewTypeFor(target);
  if (!viewType) {
    void vscode.window.showWarningMessage(`Open Model Summary: ${vscode.workspace.asRelativePath(target)} is not a model file this extension reads.`);
    return;
  }
  await vscode.commands.executeCommand('vscode.openWith', target, viewType);
}

export function registerSummary(context: vscode.ExtensionContext, engine: Engine, log: vscode.LogOutputChannel): void {
  const provider = new SummaryEditorProvider(context.extensionUri, engine, log);
  const options = { webviewOptions: { retainContextWhenHidden: false }, supportsMultipleEditorsPerDocument: true };
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(BINARY_VIEW_TYPE, provider, options),
    vscode.window.registerCustomEditorProvider(TFJS_VIEW_TYPE, provider, options),
    vscode.commands.registerCommand('deepLearningKit.openModelSummary', openModelSummary),
    vscode.commands.registerCommand('deepLearningKit.reopenModelAsText', async (uri: unknown) => {
      const target = targetUri(uri);
      if (target) await reopenAsText(target);
    }),
  );
}
