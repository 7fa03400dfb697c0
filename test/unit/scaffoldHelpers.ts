/** Shared by the scaffold*.test.ts files: a small template tree and temporary folders. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TemplateSource } from '../../src/scaffold/generate';

/**
 * A template tree shaped like src/scaffold/templates but tiny and fixed, so the
 * generation and writing rules are tested whatever state the real templates are in.
 */
export const FAKE_TREE: Record<string, string> = {
  'pytorch/_shared/README.md': '# {{project_title}}\n\n{{project_name}}: a {{architecture}} in {{style}} on {{dataset}}. Kept: {{unknown}}\n',
  'pytorch/_shared/train.py': '"""Training for {{project_name}}."""\nSHARED = True\n',
  'pytorch/_shared/config.toml': '[data]\ndataset = "{{dataset}}"\n',
  'pytorch/_shared/.gitignore.tmpl': '__pycache__/\n',
  'pytorch/_shared/tests/test_model.py': 'def test_ok():\n    assert True\n',
  'pytorch/cnn/model.py': 'import torch\nimport torch.nn as nn\n\n\nclass ConvNet(nn.Module):\n    pass\n',
  'pytorch/cnn/train.py': '"""CNN training for {{project_name}}."""\nSHARED = False\n',
  'pytorch/rnn/model.py': 'import torch.nn as nn\n\n\nclass SequenceModel(nn.Module):\n    pass\n',
  'keras/rnn/model.py': 'import keras\n',
};

/** A TemplateSource over a record of "folder/.../file" → text. */
export function memoryTemplates(tree: Record<string, string> = FAKE_TREE): TemplateSource {
  return {
    list(folder) {
      return Object.keys(tree)
        .filter((file) => file.startsWith(`${folder}/`))
        .map((file) => file.slice(folder.length + 1));
    },
    read(file) {
      const text = tree[file];
      if (text === undefined) throw new Error(`no template ${file}`);
      return text;
    },
  };
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempFolder(label: string): { path: string; remove(): void } {
  const folder = mkdtempSync(path.join(tmpdir(), `dlkit-${label}-`));
  return { path: folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}
