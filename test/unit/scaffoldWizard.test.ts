/** The questions of the scaffolding commands, driven by a script instead of vscode's quick input. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ScaffoldError } from '../../src/scaffold/generate';
import {
  BACK,
  availableStyles,
  modelInsertion,
  nextFreeName,
  pickModel,
  planNewProject,
  type Answer,
  type InputRequest,
  type NewProjectArgs,
  type PickRequest,
  type Prompts,
  type WizardEnvironment,
} from '../../src/scaffold/wizard';
import { memoryTemplates, tempFolder } from './scaffoldHelpers';

type Asked = { kind: 'pick'; request: PickRequest<unknown> } | { kind: 'input'; request: InputRequest } | { kind: 'browse'; defaultFolder: string | undefined } | { kind: 'confirm'; folder: string; clashes: string[] };

/** One scripted reply per question, in order: a value, BACK, undefined (cancel), or a function of the question. */
type Reply = unknown;

/** Prompts that answer from `replies` and record every question; a question beyond the script fails the test. */
function scripted(replies: Reply[]): Prompts & { asked: Asked[] } {
  const asked: Asked[] = [];
  const next = (question: Asked): unknown => {
    asked.push(question);
    if (replies.length === 0) assert.fail(`an unscripted question: ${JSON.stringify(question)}`);
    const reply = replies.shift();
    return typeof reply === 'function' ? (reply as (q: Asked) => unknown)(question) : reply;
  };
  return {
    asked,
    pick: async <T>(request: PickRequest<T>) => next({ kind: 'pick', request: request as PickRequest<unknown> }) as Answer<T>,
    input: async (request) => next({ kind: 'input', request }) as Answer<string>,
    browseFolder: async (defaultFolder) => next({ kind: 'browse', defaultFolder }) as string | undefined,
    confirmReplace: async (folder, clashes) => next({ kind: 'confirm', folder, clashes }) as boolean,
  };
}

const noQuestions = (): Prompts => scripted([]);

/** Picks the item whose label starts with `label` (so a script reads like the UI). */
const choose =
  (label: string) =>
  (question: Asked): unknown => {
    assert.equal(question.kind, 'pick');
    const item = question.request.items.find((candidate) => candidate.label.startsWith(label));
    return item ? item.value : assert.fail(`no item "${label}" among ${question.request.items.map((i) => i.label).join(', ')}`);
  };

/** Accepts the input box's value as it is offered. */
const acceptDefault = (question: Asked): unknown => {
  assert.equal(question.kind, 'input');
  return question.request.value;
};

describe('scaffold wizard: New Project…', () => {
  let temp: ReturnType<typeof tempFolder>;
  let workspace: string;
  let environment: WizardEnvironment;

  beforeEach(() => {
    temp = tempFolder('wizard');
    workspace = path.join(temp.path, 'workspace');
    mkdirSync(workspace);
    environment = { templates: memoryTemplates(), workspaceFolders: [{ name: 'workspace', path: workspace }] };
  });
  afterEach(() => temp.remove());

  it('asks architecture → style → dataset → folder → name, numbered 1–5, and plans the project', async () => {
    const prompts = scripted([choose('CNN'), choose('PyTorch'), choose('MNIST'), choose('workspace'), 'my_cnn']);
    const plan = await planNewProject({}, prompts, environment);
    assert.ok(plan);
    assert.deepEqual(
      prompts.asked.map((q) => (q.kind === 'pick' || q.kind === 'input' ? [q.kind, q.request.step, q.request.totalSteps, q.request.canGoBack] : [q.kind])),
      [
        ['pick', 1, 5, false],
        ['pick', 2, 5, true],
        ['pick', 3, 5, true],
        ['pick', 4, 5, true],
        ['input', 5, 5, true],
      ],
    );
    assert.deepEqual(plan.options, { architecture: 'cnn', style: 'pytorch', name: 'my_cnn', dataset: 'mnist' });
    assert.equal(plan.folder, path.join(workspace, 'my_cnn'));
    assert.equal(plan.overwrite, false);
    assert.ok(plan.files.some((f) => f.path === 'model.py' && /class ConvNet/.test(f.content)));
  });

  it('offers only what has templates: architectures, then the styles of the chosen one', async () => {
    const prompts = scripted([choose('RNN'), undefined]);
    assert.equal(await planNewProject({}, prompts, environment), undefined);
    const [architectures, styles] = prompts.asked;
    assert.ok(architectures?.kind === 'pick' && styles?.kind === 'pick');
    assert.deepEqual(architectures.request.items.map((i) => i.value), ['cnn', 'rnn']);
    assert.deepEqual(styles.request.items.map((i) => i.value), ['pytorch', 'keras']);
    assert.deepEqual(availableStyles(memoryTemplates(), 'cnn'), ['pytorch']);
  });

  it('offers the chosen architecture’s datasets, synthetic first', async () => {
    const prompts = scripted([choose('RNN'), choose('PyTorch'), undefined]);
    await planNewProject({}, prompts, environment);
    const datasets = prompts.asked[2];
    assert.ok(datasets?.kind === 'pick');
    assert.deepEqual(datasets.request.items.map((i) => i.value), ['synthetic', 'imdb', 'textfile']);
  });

  it('skips the steps the argument answers and numbers the rest', async () => {
    const prompts = scripted([choose('Synthetic'), choose('workspace'), acceptDefault]);
    const plan = await planNewProject({ architecture: 'cnn', style: 'pytorch' }, prompts, environment);
    assert.deepEqual(
      prompts.asked.map((q) => (q.kind === 'pick' || q.kind === 'input' ? `${q.request.step}/${q.request.totalSteps}` : q.kind)),
      ['1/3', '2/3', '3/3'],
    );
    assert.equal(plan?.options.name, 'cnn_pytorch');
  });

  it('asks nothing when the argument answers everything', async () => {
    const plan = await planNewProject({ architecture: 'cnn', style: 'pytorch', dataset: 'mnist', parentFolder: workspace, name: 'my_cnn' }, noQuestions(), environment);
    assert.deepEqual(plan?.options, { architecture: 'cnn', style: 'pytorch', name: 'my_cnn', dataset: 'mnist' });
  });

  it('quick (a caller with an argument object): asks only what has no default, then defaults dataset and name', async () => {
    const plan = await planNewProject({ architecture: 'cnn', style: 'pytorch', parentFolder: workspace }, noQuestions(), environment, { quick: true });
    assert.deepEqual(plan?.options, { architecture: 'cnn', style: 'pytorch', name: 'cnn_pytorch', dataset: 'synthetic' });
    const prompts = scripted([choose('RNN'), choose('Keras'), choose('workspace')]);
    const asked = await planNewProject({}, prompts, environment, { quick: true });
    assert.deepEqual(asked?.options, { architecture: 'rnn', style: 'keras', name: 'rnn_keras', dataset: 'synthetic' });
    assert.deepEqual(prompts.asked.map((q) => q.kind === 'pick' && q.request.placeholder), ['Architecture', 'Framework', 'Create the project folder in…']);
  });

  it('returns undefined when any step is cancelled', async () => {
    for (let step = 0; step < 5; step++) {
      const replies: Reply[] = [choose('CNN'), choose('PyTorch'), choose('Synthetic'), choose('workspace'), 'my_cnn'];
      replies[step] = undefined;
      assert.equal(await planNewProject({}, scripted(replies.slice(0, step + 1)), environment), undefined, `cancel at step ${step + 1}`);
    }
  });

  it('Back returns to the previous step with its answer highlighted; a new architecture forgets the style', async () => {
    const prompts = scripted([choose('RNN'), choose('Keras'), BACK, BACK, choose('CNN'), choose('PyTorch'), choose('Synthetic'), choose('workspace'), 'my_cnn']);
    const plan = await planNewProject({}, prompts, environment);
    assert.deepEqual(plan?.options, { architecture: 'cnn', style: 'pytorch', name: 'my_cnn', dataset: 'synthetic' });
    // RNN, Keras, Back (from the dataset), Back (from the style), CNN, …
    const style = prompts.asked[3];
    const architecture = prompts.asked[4];
    const newStyle = prompts.asked[5];
    assert.ok(style?.kind === 'pick' && architecture?.kind === 'pick' && newStyle?.kind === 'pick');
    assert.equal(style.request.active, 'keras', 'back on the style step shows the style chosen');
    assert.equal(architecture.request.active, 'rnn', 'back on the architecture step shows the architecture chosen');
    assert.equal(newStyle.request.active, undefined, 'the style chosen for RNN is forgotten');
  });

  it('Browse… opens a folder dialog; dismissing it shows the folder list again', async () => {
    const elsewhere = path.join(temp.path, 'elsewhere');
    const prompts = scripted([choose('$(folder-opened) Browse'), undefined, choose('$(folder-opened) Browse'), elsewhere, acceptDefault]);
    const plan = await planNewProject({ architecture: 'cnn', style: 'pytorch', dataset: 'synthetic' }, prompts, environment);
    assert.deepEqual(prompts.asked.map((q) => q.kind), ['pick', 'browse', 'pick', 'browse', 'input']);
    const browse = prompts.asked[1];
    assert.ok(browse?.kind === 'browse');
    assert.equal(browse.defaultFolder, workspace);
    assert.equal(plan?.folder, path.join(elsewhere, 'cnn_pytorch'));
  });

  it('offers only Browse… without a workspace folder', async () => {
    const prompts = scripted([undefined]);
    await planNewProject({ architecture: 'cnn', style: 'pytorch', dataset: 'synthetic' }, prompts, { ...environment, workspaceFolders: [] });
    const pick = prompts.asked[0];
    assert.ok(pick?.kind === 'pick');
    assert.deepEqual(pick.request.items.map((i) => i.label), ['$(folder-opened) Browse…']);
  });

  it('proposes <arch>_<style>, or the next free <arch>_<style>_N', async () => {
    mkdirSync(path.join(workspace, 'cnn_pytorch'));
    mkdirSync(path.join(workspace, 'cnn_pytorch_2'));
    const prompts = scripted([acceptDefault]);
    const plan = await planNewProject({ architecture: 'cnn', style: 'pytorch', dataset: 'synthetic', parentFolder: workspace }, prompts, environment);
    assert.equal(plan?.options.name, 'cnn_pytorch_3');
    assert.equal(nextFreeName('x', (name) => ['x', 'x_2'].includes(name)), 'x_3');
    assert.equal(nextFreeName('x', () => false), 'x');
  });

  it('validates the name as it is typed: errors for bad names, a warning for a clash', async () => {
    mkdirSync(path.join(workspace, 'old'));
    writeFileSync(path.join(workspace, 'old', 'train.py'), 'mine\n');
    mkdirSync(path.join(workspace, 'unrelated'));
    writeFileSync(path.join(workspace, 'unrelated', 'notes.txt'), '');
    const prompts = scripted([undefined]);
    await planNewProject({ architecture: 'cnn', style: 'pytorch', dataset: 'synthetic', parentFolder: workspace }, prompts, environment);
    const input = prompts.asked[0];
    assert.ok(input?.kind === 'input');
    const { validate } = input.request;
    assert.equal(validate('fresh'), undefined);
    assert.equal(validate('unrelated'), undefined, 'a folder without clashing files is fine');
    assert.equal(validate('class')?.severity, 'error');
    assert.equal(validate('my-proj')?.severity, 'error');
    assert.equal(validate('')?.severity, 'error');
    assert.equal(validate('torch')?.severity, 'error');
    const clash = validate('old');
    assert.equal(clash?.severity, 'warning');
    assert.match(clash?.message ?? '', /already has 1 of the project's files/);
  });

  describe('a folder with files the project would replace', () => {
    beforeEach(() => {
      mkdirSync(path.join(workspace, 'my_cnn'));
      writeFileSync(path.join(workspace, 'my_cnn', 'train.py'), 'mine\n');
      writeFileSync(path.join(workspace, 'my_cnn', 'README.md'), 'mine\n');
    });

    const base: NewProjectArgs = { architecture: 'cnn', style: 'pytorch', dataset: 'synthetic' };

    it('typed name: asks Replace/Cancel with the clashing files; Replace plans an overwrite', async () => {
      const prompts = scripted([choose('workspace'), 'my_cnn', true]);
      const plan = await planNewProject(base, prompts, environment);
      const confirm = prompts.asked[2];
      assert.ok(confirm?.kind === 'confirm');
      assert.equal(confirm.folder, path.join(workspace, 'my_cnn'));
      assert.deepEqual(confirm.clashes, ['README.md', 'train.py']);
      assert.equal(plan?.overwrite, true);
    });

    it('typed name: Cancel goes back to the name, where another name or Escape follows', async () => {
      const renamed = await planNewProject(base, scripted([choose('workspace'), 'my_cnn', false, 'my_cnn_v2']), environment);
      assert.deepEqual([renamed?.options.name, renamed?.overwrite], ['my_cnn_v2', false]);
      const prompts = scripted([choose('workspace'), 'my_cnn', false, undefined]);
      assert.equal(await planNewProject(base, prompts, environment), undefined);
      const again = prompts.asked[3];
      assert.ok(again?.kind === 'input');
      assert.equal(again.request.value, 'my_cnn', 'the name box comes back with the name typed');
    });

    it('name in the argument: refuses without overwrite, asking nothing', async () => {
      await assert.rejects(
        planNewProject({ ...base, parentFolder: workspace, name: 'my_cnn' }, noQuestions(), environment),
        (error: unknown) => error instanceof ScaffoldError && /already has files the project would replace: README\.md, train\.py\. Pass overwrite: true/.test(error.message),
      );
    });

    it('overwrite: true in the argument plans an overwrite without asking', async () => {
      const plan = await planNewProject({ ...base, parentFolder: workspace, name: 'my_cnn', overwrite: true }, noQuestions(), environment);
      assert.equal(plan?.overwrite, true);
    });
  });

  it('refuses arguments it cannot use, before asking anything', async () => {
    const cases: Array<[NewProjectArgs, RegExp]> = [
      [{ architecture: 'mlp' }, /Unknown architecture "mlp": use one of cnn, rnn, gan, transformer, autoencoder/],
      [{ architecture: 'gan' }, /no templates for GAN projects/],
      [{ style: 'jax' }, /Unknown style "jax"/],
      [{ architecture: 'cnn', style: 'keras' }, /no Keras 3 templates for CNN projects/],
      [{ name: 'my-proj' }, /not a valid project name/],
      [{ name: 'class' }, /Python keyword/],
      [{ architecture: 'cnn', style: 'pytorch', dataset: 'imdb', parentFolder: '/tmp', name: 'x' }, /cannot use the dataset "imdb"/],
    ];
    for (const [args, message] of cases) {
      await assert.rejects(planNewProject(args, noQuestions(), environment), (error: unknown) => error instanceof ScaffoldError && message.test(error.message), JSON.stringify(args));
    }
  });

  it('resolves a relative parentFolder against the first workspace folder, and refuses one without a folder open', async () => {
    const plan = await planNewProject({ architecture: 'cnn', style: 'pytorch', dataset: 'synthetic', parentFolder: 'projects', name: 'a' }, noQuestions(), environment);
    assert.equal(plan?.folder, path.join(workspace, 'projects', 'a'));
    await assert.rejects(planNewProject({ parentFolder: 'projects' }, noQuestions(), { ...environment, workspaceFolders: [] }), /relative/);
  });

  it('says so when there are no templates at all', async () => {
    await assert.rejects(planNewProject({}, noQuestions(), { ...environment, templates: memoryTemplates({}) }), /No project templates/);
  });
});

describe('scaffold wizard: New <Architecture> Project…', () => {
  let temp: ReturnType<typeof tempFolder>;
  let environment: WizardEnvironment;

  beforeEach(() => {
    temp = tempFolder('quick');
    environment = { templates: memoryTemplates(), workspaceFolders: [{ name: 'workspace', path: temp.path }] };
  });
  afterEach(() => temp.remove());

  it('asks only style and folder; synthetic data; <arch>_<style> then <arch>_<style>_2', async () => {
    const prompts = scripted([choose('PyTorch'), choose('workspace')]);
    const first = await planNewProject({ architecture: 'rnn' }, prompts, environment, { title: 'New RNN Project', quick: true });
    assert.deepEqual(first?.options, { architecture: 'rnn', style: 'pytorch', name: 'rnn_pytorch', dataset: 'synthetic' });
    assert.deepEqual(
      prompts.asked.map((q) => (q.kind === 'pick' ? [q.request.title, q.request.placeholder, `${q.request.step}/${q.request.totalSteps}`] : q.kind)),
      [
        ['New RNN Project', 'Framework', '1/2'],
        ['New RNN Project', 'Create the project folder in…', '2/2'],
      ],
    );
    mkdirSync(path.join(temp.path, 'rnn_pytorch'));
    const second = await planNewProject({ architecture: 'rnn', style: 'pytorch', parentFolder: temp.path }, noQuestions(), environment, { quick: true });
    assert.equal(second?.options.name, 'rnn_pytorch_2');
    assert.equal(second?.overwrite, false);
  });

  it('still honours a name, a dataset and overwrite from the argument', async () => {
    const plan = await planNewProject(
      { architecture: 'cnn', style: 'pytorch', parentFolder: temp.path, name: 'digits', dataset: 'mnist' },
      noQuestions(),
      environment,
      { quick: true },
    );
    assert.deepEqual(plan?.options, { architecture: 'cnn', style: 'pytorch', name: 'digits', dataset: 'mnist' });
  });
});

describe('scaffold wizard: Add Model to File…', () => {
  const templates = memoryTemplates();

  it('asks architecture then style', async () => {
    const prompts = scripted([choose('RNN'), choose('Keras')]);
    assert.deepEqual(await pickModel({}, prompts, templates), { architecture: 'rnn', style: 'keras' });
    assert.deepEqual(
      prompts.asked.map((q) => (q.kind === 'pick' ? `${q.request.placeholder} ${q.request.step}/${q.request.totalSteps}` : q.kind)),
      ['Architecture 1/2', 'Framework 2/2'],
    );
  });

  it('Back on the style asks the architecture again; Escape cancels', async () => {
    assert.deepEqual(await pickModel({}, scripted([choose('RNN'), BACK, choose('CNN'), choose('PyTorch')]), templates), { architecture: 'cnn', style: 'pytorch' });
    assert.equal(await pickModel({}, scripted([choose('CNN'), undefined]), templates), undefined);
    assert.equal(await pickModel({}, scripted([undefined]), templates), undefined);
  });

  it('asks nothing when the argument names both; offers only architectures that have a given style', async () => {
    assert.deepEqual(await pickModel({ architecture: 'cnn', style: 'pytorch' }, noQuestions(), templates), { architecture: 'cnn', style: 'pytorch' });
    const prompts = scripted([choose('RNN')]);
    assert.deepEqual(await pickModel({ style: 'keras' }, prompts, templates), { architecture: 'rnn', style: 'keras' });
    const pick = prompts.asked[0];
    assert.ok(pick?.kind === 'pick');
    assert.deepEqual(pick.request.items.map((i) => i.value), ['rnn']);
  });

  it('modelInsertion drops the imports the file already has, word for word, and ends with a newline', () => {
    const model = '"""Model."""\nimport torch\nimport torch.nn as nn\nfrom torch import Tensor\n\n\nclass Net(nn.Module):\n    """import torch inside a docstring stays"""\n    import_count = 1'; // no final newline
    const document = 'import torch\nfrom torch import Tensor  \n\nx = 1\n';
    assert.equal(
      modelInsertion(model, document),
      '"""Model."""\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n    """import torch inside a docstring stays"""\n    import_count = 1\n',
    );
    assert.equal(modelInsertion('\n\nimport torch\nclass A: ...\n', ''), 'import torch\nclass A: ...\n');
  });
});
