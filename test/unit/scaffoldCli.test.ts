/** `dlkit scaffold` as users run it: the real dist/cli.js and dist/templates, in a child process. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { generateProject } from '../../src/scaffold/generate';
import { templatesOnDisk } from '../../src/scaffold/templateFiles';
import { tempFolder } from './scaffoldHelpers';

// Tests run from the repository root (the bundled test file lives in out/unit).
const root = process.cwd();
const cliPath = path.join(root, 'dist', 'cli.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function dlkit(cwd: string, ...args: string[]): Run {
  const result = spawnSync(process.execPath, [cliPath, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface JsonReport {
  folder: string;
  files: string[];
  milliseconds: number;
}

describe('dlkit scaffold (dist/cli.js)', () => {
  let temp: ReturnType<typeof tempFolder>;

  beforeEach(() => {
    temp = tempFolder('cli');
  });
  afterEach(() => temp.remove());

  it('--json writes the PyTorch CNN project into OUT/<arch>_<style> and reports it', () => {
    const run = dlkit(temp.path, 'scaffold', '--arch', 'cnn', '--style', 'pytorch', '--out', 'projects', '--json');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const report = JSON.parse(run.stdout) as JsonReport;
    const folder = path.join(temp.path, 'projects', 'cnn_pytorch');
    assert.equal(report.folder, folder);
    assert.equal(typeof report.milliseconds, 'number');
    for (const needed of ['README.md', 'model.py', 'train.py', 'config.toml', '.vscode/launch.json']) assert.ok(report.files.includes(needed), needed);
    // Exactly what generateProject makes from the same templates, byte for byte.
    const expected = generateProject({ architecture: 'cnn', style: 'pytorch', name: 'cnn_pytorch' }, templatesOnDisk(path.join(root, 'dist', 'templates')));
    assert.deepEqual(report.files, expected.map((f) => f.path));
    for (const f of expected) assert.equal(readFileSync(path.join(folder, f.path), 'utf8'), f.content, f.path);
  });

  it('without --json says where it wrote and what to do next', () => {
    const run = dlkit(temp.path, 'scaffold', '--arch', 'cnn', '--style', 'pytorch', '--out', '.', '--name', 'my_cnn', '--dataset', 'mnist');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^Wrote \\d+ files to ${path.join(temp.path, 'my_cnn').replace(/[/\\.]/g, '\\$&')}$`, 'm'));
    assert.match(run.stdout, /Next: cd my_cnn && see README\.md/);
    assert.throws(() => JSON.parse(run.stdout) as unknown);
    assert.match(readFileSync(path.join(temp.path, 'my_cnn', 'config.toml'), 'utf8'), /"mnist"/);
  });

  it('refuses to replace existing files (exit 1), leaving them as they were; --force replaces them', () => {
    const args = ['scaffold', '--arch', 'cnn', '--style', 'pytorch', '--out', temp.path, '--name', 'my_cnn'];
    assert.equal(dlkit(temp.path, ...args).code, 0);
    const train = path.join(temp.path, 'my_cnn', 'train.py');
    const generated = readFileSync(train, 'utf8');
    writeFileSync(train, '# my edits\n');
    const again = dlkit(temp.path, ...args);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^dlkit scaffold: .*my_cnn already has files the project would replace: .*train\.py/);
    assert.doesNotMatch(again.stderr, /Usage:/, 'not a usage mistake');
    assert.equal(again.stdout, '');
    assert.equal(readFileSync(train, 'utf8'), '# my edits\n');
    const forced = dlkit(temp.path, ...args, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readFileSync(train, 'utf8'), generated);
  });

  it('refuses a bad project name or dataset with exit 1, writing nothing', () => {
    for (const [option, value, message] of [
      ['--name', '../evil', /not a valid project name/],
      ['--name', 'my-proj', /not a valid project name/],
      ['--name', 'torch', /shadow/],
      ['--dataset', 'imdb', /cannot use the dataset "imdb"/],
    ] as const) {
      const run = dlkit(temp.path, 'scaffold', '--arch', 'cnn', '--style', 'pytorch', '--out', 'out', option, value);
      assert.equal(run.code, 1, `${option} ${value}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
    assert.deepEqual(readdirSync(temp.path), []);
  });

  it('exits 2 with the usage for a missing or unknown option', () => {
    for (const [args, message] of [
      [['--style', 'pytorch', '--out', '.'], /--arch must be one of cnn, rnn, gan, transformer, autoencoder/],
      [['--arch', 'mlp', '--style', 'pytorch', '--out', '.'], /--arch must be one of/],
      [['--arch', 'cnn', '--style', 'jax', '--out', '.'], /--style must be one of pytorch, keras, tensorflow/],
      [['--arch', 'cnn', '--style', 'pytorch'], /--out is required/],
      [['--arch', 'cnn', '--style', 'pytorch', '--out', '.', '--bogus'], /--bogus/],
    ] as const) {
      const run = dlkit(temp.path, 'scaffold', ...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
      assert.match(run.stderr, /Usage: dlkit scaffold/);
    }
    assert.deepEqual(readdirSync(temp.path), []);
  });

  it('--help prints the usage and exits 0; dlkit --help lists scaffold', () => {
    const help = dlkit(temp.path, 'scaffold', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: dlkit scaffold --arch ARCH --style STYLE --out DIR/);
    assert.match(help.stdout, /cnn: synthetic\/mnist\/cifar10/);
    assert.match(dlkit(temp.path, '--help').stdout, /^\s+scaffold\s+write a complete, runnable project/m);
    assert.equal(existsSync(path.join(temp.path, 'cnn_pytorch')), false);
  });
});
