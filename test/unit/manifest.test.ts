/** package.json: the facts the extension's users and the marketplace depend on. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

// Tests run from the repository root (the bundled test file lives in out/unit).
const root = process.cwd();

interface Command {
  command: string;
  title?: string;
  category?: string;
}

interface Manifest {
  name: string;
  displayName: string;
  publisher?: string;
  main: string;
  engines: Record<string, string>;
  categories: string[];
  extensionKind: string[];
  capabilities: { untrustedWorkspaces: { supported: boolean | 'limited'; description?: string; restrictedConfigurations?: string[] } };
  contributes: { commands: Command[]; configuration: { properties: Record<string, unknown> } };
  bin: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('package.json', () => {
  it('names the extension', () => {
    assert.equal(manifest.name, 'deep-learning-kit');
    assert.equal(manifest.displayName, 'Deep Learning Kit');
    assert.equal(typeof manifest.publisher, 'string');
    assert.match(manifest.publisher ?? '', /^[a-z0-9][a-z0-9-]*$/i, 'a marketplace publisher id');
    assert.equal(manifest.main, './dist/extension.js');
  });

  it('requires the VS Code version whose API types it is compiled against', () => {
    const types = manifest.devDependencies['@types/vscode'];
    assert.ok(types, '@types/vscode is a devDependency');
    assert.match(types, /^\d+\.\d+\.\d+$/, '@types/vscode is pinned to an exact version');
    assert.equal(manifest.engines['vscode'], `^${types}`);
  });

  it('is listed in the expected marketplace categories', () => {
    for (const category of ['Machine Learning', 'Snippets', 'Visualization', 'Data Science']) {
      assert.ok(manifest.categories.includes(category), `category "${category}" is missing`);
    }
  });

  it('runs in the workspace, with limited support for untrusted workspaces', () => {
    assert.deepEqual(manifest.extensionKind, ['workspace']);
    const untrusted = manifest.capabilities.untrustedWorkspaces;
    assert.equal(untrusted.supported, 'limited');
    assert.ok(untrusted.description && untrusted.description.length > 0, 'limited support needs a description');
    for (const setting of untrusted.restrictedConfigurations ?? []) {
      assert.ok(setting in manifest.contributes.configuration.properties, `restricted setting ${setting} is not contributed`);
    }
  });

  it('gives every command the "Deep Learning" category and a title', () => {
    const commands = manifest.contributes.commands;
    assert.ok(commands.length > 0);
    for (const command of commands) {
      assert.equal(command.category, 'Deep Learning', `${command.command} category`);
      assert.ok(command.title && command.title.trim().length > 0, `${command.command} has no title`);
      assert.match(command.command, /^deepLearningKit\.\w+$/);
    }
    const ids = commands.map((command) => command.command);
    assert.equal(new Set(ids).size, ids.length, 'command ids are unique');
  });

  it('registers every contributed command in src/', () => {
    const sources = sourceFiles(path.join(root, 'src')).map((file) => readFileSync(file, 'utf8'));
    assert.ok(sources.length > 0);
    const missing = manifest.contributes.commands
      .map((command) => command.command)
      .filter((id) => !sources.some((text) => text.includes(`'${id}'`) || text.includes(`"${id}"`)));
    assert.deepEqual(missing, [], 'contributed commands that no source file names');
  });

  it('installs the dlkit command from dist/cli.js', () => {
    assert.deepEqual(manifest.bin, { dlkit: 'dist/cli.js' });
  });

  it('keeps @tensorflow/tfjs-node optional', () => {
    assert.ok(manifest.optionalDependencies?.['@tensorflow/tfjs-node'], 'tfjs-node is an optionalDependency');
    assert.equal(manifest.dependencies?.['@tensorflow/tfjs-node'], undefined);
    assert.equal(manifest.devDependencies['@tensorflow/tfjs-node'], undefined);
  });

  it('pins tfjs-node to the TF.js version the engine bundles', () => {
    const core = manifest.devDependencies['@tensorflow/tfjs-core'];
    assert.ok(core);
    assert.equal(manifest.optionalDependencies?.['@tensorflow/tfjs-node'], core);
  });
});
