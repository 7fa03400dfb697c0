/** The scaffolding core on a small fixed template tree: generation, names, reading templates from disk, safe writing. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ScaffoldError, checkProjectName, generateProject, projectTitle, type GeneratedFile } from '../../src/scaffold/generate';
import { templatesOnDisk } from '../../src/scaffold/templateFiles';
import { existingFiles, writeProject } from '../../src/scaffold/write';
import { FAKE_TREE, memoryTemplates, tempFolder } from './scaffoldHelpers';

describe('scaffold: generateProject (fixed template tree)', () => {
  const templates = memoryTemplates();
  const cnn = () => generateProject({ architecture: 'cnn', style: 'pytorch', name: 'my_cnn' }, templates);
  const file = (files: GeneratedFile[], name: string) => files.find((f) => f.path === name) ?? assert.fail(`${name} was not generated`);

  it('merges _shared and the architecture folder, sorted by path, the architecture file winning', () => {
    const files = cnn();
    assert.deepEqual(
      files.map((f) => f.path),
      ['.gitignore', 'config.toml', 'model.py', 'README.md', 'tests/test_model.py', 'train.py'],
    );
    assert.match(file(files, 'train.py').content, /SHARED = False/);
    assert.match(file(files, 'model.py').content, /class ConvNet/);
  });

  it('drops the .tmpl suffix', () => {
    assert.equal(file(cnn(), '.gitignore').content, '__pycache__/\n');
  });

  it('replaces the known placeholders and leaves unknown ones as they are', () => {
    const readme = file(cnn(), 'README.md').content;
    assert.equal(readme, '# My CNN\n\nmy_cnn: a cnn in pytorch on synthetic. Kept: {{unknown}}\n');
    assert.equal(file(cnn(), 'train.py').content, '"""CNN training for my_cnn."""\nSHARED = False\n');
  });

  it('writes the chosen dataset into the files, synthetic by default', () => {
    assert.equal(file(cnn(), 'config.toml').content, '[data]\ndataset = "synthetic"\n');
    const mnist = generateProject({ architecture: 'cnn', style: 'pytorch', name: 'digits', dataset: 'mnist' }, templates);
    assert.equal(file(mnist, 'config.toml').content, '[data]\ndataset = "mnist"\n');
  });

  it('refuses a dataset the architecture cannot use, naming the ones it can', () => {
    assert.throws(
      () => generateProject({ architecture: 'cnn', style: 'pytorch', name: 'x', dataset: 'imdb' }, templates),
      (error: unknown) => error instanceof ScaffoldError && /cannot use the dataset "imdb".*synthetic, mnist, cifar10/.test(error.message),
    );
  });

  it('refuses an architecture × style without templates', () => {
    assert.throws(() => generateProject({ architecture: 'gan', style: 'tensorflow', name: 'x' }, templates), /no templates for tensorflow gan/);
  });

  it('is pure: the same options give the same files', () => {
    assert.deepEqual(cnn(), cnn());
  });

  it('projectTitle capitalises words and acronyms', () => {
    assert.equal(projectTitle('my_cnn_project'), 'My CNN Project');
    assert.equal(projectTitle('gan_pytorch_2'), 'GAN Pytorch 2');
  });
});

describe('scaffold: project names', () => {
  const rejected: Array<[string, RegExp]> = [
    ['', /empty/],
    ['1abc', /not a valid project name/],
    ['my-proj', /not a valid project name/],
    ['my proj', /not a valid project name/],
    ['../x', /not a valid project name/],
    ['a/b', /not a valid project name/],
    ['class', /Python keyword/],
    ['None', /Python keyword/],
    ['torch', /shadow/],
    ['Keras', /shadow/],
    ['tests', /shadow/],
    ['x'.repeat(65), /longer than 64/],
  ];
  for (const [name, why] of rejected) {
    it(`rejects ${JSON.stringify(name.length > 20 ? `${name.slice(0, 5)}…(${name.length})` : name)}`, () => {
      assert.match(checkProjectName(name) ?? 'accepted', why);
      assert.throws(() => generateProject({ architecture: 'cnn', style: 'pytorch', name }, memoryTemplates()), ScaffoldError);
    });
  }

  it('accepts package-like names', () => {
    for (const name of ['my_cnn', '_private', 'CNN2', 'cnn_pytorch_2', 'x'.repeat(64)]) assert.equal(checkProjectName(name), undefined, name);
  });
});

describe('scaffold: templatesOnDisk', () => {
  let tree: ReturnType<typeof tempFolder>;

  before(() => {
    tree = tempFolder('templates');
    for (const [file, text] of Object.entries(FAKE_TREE)) {
      mkdirSync(path.dirname(path.join(tree.path, file)), { recursive: true });
      writeFileSync(path.join(tree.path, file), text);
    }
    mkdirSync(path.join(tree.path, 'pytorch/_shared/tests/__pycache__'), { recursive: true });
    writeFileSync(path.join(tree.path, 'pytorch/_shared/tests/__pycache__/test_model.cpython-311.pyc'), 'bytecode');
  });

  after(() => tree.remove());

  it('lists files recursively with forward slashes, without __pycache__, and [] for a missing folder', () => {
    const source = templatesOnDisk(tree.path);
    assert.deepEqual(source.list('pytorch/_shared').sort(), ['.gitignore.tmpl', 'README.md', 'config.toml', 'tests/test_model.py', 'train.py']);
    assert.deepEqual(source.list('tensorflow/cnn'), []);
  });

  it('generates the same project as the in-memory tree', () => {
    const options = { architecture: 'cnn', style: 'pytorch', name: 'my_cnn' } as const;
    assert.deepEqual(generateProject(options, templatesOnDisk(tree.path)), generateProject(options, memoryTemplates()));
  });
});

describe('scaffold: writeProject', () => {
  let temp: ReturnType<typeof tempFolder>;
  const files = (): GeneratedFile[] => generateProject({ architecture: 'cnn', style: 'pytorch', name: 'my_cnn' }, memoryTemplates());

  beforeEach(() => {
    temp = tempFolder('write');
  });
  afterEach(() => temp.remove());

  it('writes every file, creating folders, and returns their paths', async () => {
    const folder = path.join(temp.path, 'parent', 'my_cnn');
    const written = await writeProject(folder, files());
    assert.equal(written.length, files().length);
    for (const f of files()) assert.equal(readFileSync(path.join(folder, f.path), 'utf8'), f.content, f.path);
    assert.ok(written.includes(path.join(folder, 'tests', 'test_model.py')));
  });

  const escaping: Array<[string, (folder: string) => string]> = [
    ['a parent-relative path', () => '../evil.py'],
    ['a path that climbs out after a folder', () => 'tests/../../evil.py'],
    ['a sibling folder sharing the prefix', () => '../my_cnn_evil/evil.py'],
    ['an absolute path', (folder) => path.join(path.dirname(folder), 'evil.py')],
    ['the folder itself', () => '.'],
  ];
  for (const [what, evilPath] of escaping) {
    it(`refuses ${what} and writes nothing at all`, async () => {
      const folder = path.join(temp.path, 'my_cnn');
      const target = evilPath(folder);
      const evil: GeneratedFile = { path: target, content: 'import os\n' };
      await assert.rejects(writeProject(folder, [...files(), evil]), (error: unknown) => error instanceof ScaffoldError && /outside/.test(error.message));
      assert.equal(existsSync(path.join(temp.path, 'evil.py')), false);
      assert.equal(existsSync(path.join(temp.path, 'my_cnn_evil')), false);
      assert.equal(existsSync(folder), false, 'not even the safe files were written');
    });
  }

  it('refuses to replace existing files, names them, and leaves them alone', async () => {
    const folder = path.join(temp.path, 'my_cnn');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'train.py'), 'mine\n');
    writeFileSync(path.join(folder, 'notes.txt'), 'unrelated\n');
    assert.deepEqual(existingFiles(folder, files()), ['train.py']);
    await assert.rejects(writeProject(folder, files()), /already has a file the project would replace: train\.py/);
    assert.equal(readFileSync(path.join(folder, 'train.py'), 'utf8'), 'mine\n');
    assert.equal(existsSync(path.join(folder, 'model.py')), false, 'nothing else was written either');
  });

  it('replaces existing files with overwrite, and keeps files the project does not have', async () => {
    const folder = path.join(temp.path, 'my_cnn');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'train.py'), 'mine\n');
    writeFileSync(path.join(folder, 'notes.txt'), 'unrelated\n');
    await writeProject(folder, files(), { overwrite: true });
    assert.match(readFileSync(path.join(folder, 'train.py'), 'utf8'), /CNN training for my_cnn/);
    assert.equal(readFileSync(path.join(folder, 'notes.txt'), 'utf8'), 'unrelated\n');
  });

  it('writes into an existing folder when no file clashes', async () => {
    const folder = path.join(temp.path, 'my_cnn');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'notes.txt'), 'unrelated\n');
    await writeProject(folder, files());
    assert.ok(existsSync(path.join(folder, 'model.py')));
  });
});
