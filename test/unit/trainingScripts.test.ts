/**
 * Training scripts (src/monitor/training): which file names count, which
 * scripts write the run log (recognised on the real scaffold templates of
 * every style, and not on other scripts), the usages read from their
 * docstrings, the order they are offered in, and script arguments as typed
 * and as shown.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { TrainingScript } from '../../src/protocol/monitorView';
import { ArgumentSyntaxError, formatArguments, quoteArgument, splitArguments } from '../../src/monitor/training/commandLine';
import { compareTrainingScripts, isTrainingScriptName, scriptUsages, writesRunLog } from '../../src/monitor/training/scriptRecognition';

const TEMPLATES = path.join(process.cwd(), 'src', 'scaffold', 'templates');
const template = (...parts: string[]): string => readFileSync(path.join(TEMPLATES, ...parts), 'utf8');

/** Every template file named like a training script, relative to TEMPLATES. */
function templateTrainingScripts(): string[] {
  return readdirSync(TEMPLATES, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && isTrainingScriptName(entry.name))
    .map((entry) => path.relative(TEMPLATES, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

describe('training script names', () => {
  it('takes train.py, train_*.py and *_train.py and nothing else', () => {
    for (const name of ['train.py', 'train_gan.py', 'train_2.py', 'cifar_train.py', 'my_model_train.py']) assert.ok(isTrainingScriptName(name), name);
    for (const name of ['training.py', 'trainer.py', 'pretrain.py', 'train_.py', '_train.py', 'train.pyc', 'train.py.bak', 'Train.py', 'retrain_test.txt', 'test_train.ipynb']) {
      assert.ok(!isTrainingScriptName(name), name);
    }
  });
});

describe('scaffolded training scripts', () => {
  it('finds the train.py of every template style', () => {
    const scripts = templateTrainingScripts();
    for (const style of ['pytorch', 'keras', 'tensorflow']) assert.ok(scripts.includes(`${style}/_shared/train.py`), `${style}: ${scripts.join(', ')}`);
  });

  it('recognises every template train.py as writing the run log', () => {
    const scripts = templateTrainingScripts();
    assert.ok(scripts.length >= 6, scripts.join(', '));
    for (const script of scripts) assert.ok(writesRunLog(template(script)), script);
  });

  it('does not recognise the templates\' other scripts, or a plain training script', () => {
    for (const other of ['pytorch/_shared/evaluate.py', 'pytorch/_shared/data.py', 'pytorch/cnn/model.py', 'pytorch/gan/sample.py']) {
      assert.ok(!writesRunLog(template(other)), other);
    }
    const plain = [
      'import torch',
      'from torch.utils.tensorboard import SummaryWriter',
      'writer = SummaryWriter("runs/exp1")',
      'for step in range(100):',
      '    writer.add_scalar("loss", 1.0 / (step + 1), step)',
      'open("metrics.jsonl", "w")',
    ].join('\n');
    assert.ok(!writesRunLog(plain));
  });

  it('reads the ways to run the PyTorch train.py from its docstring, without torchrun', () => {
    assert.deepEqual(scriptUsages(template('pytorch', '_shared', 'train.py'), 'train.py'), [
      { args: '', description: 'train with config.toml', hasPlaceholders: false },
      { args: '--smoke', description: 'tiny data and model: checks everything in seconds', hasPlaceholders: false },
      { args: '--resume', description: 'continue the latest run from its last checkpoint', hasPlaceholders: false },
    ]);
    assert.deepEqual(
      scriptUsages(template('pytorch', 'gan', 'train.py'), 'train.py').map((usage) => usage.args),
      ['', '--smoke', '--resume'],
    );
  });

  it('reads the Keras train.py\'s `#` descriptions and leaves out lines that set environment variables', () => {
    assert.deepEqual(scriptUsages(template('keras', '_shared', 'train.py'), 'train.py'), [
      { args: '', description: 'hyperparameters from config.toml, a new run in runs/', hasPlaceholders: false },
      { args: '--epochs 5 --run-name baseline', description: '', hasPlaceholders: false },
      { args: '--smoke', description: 'one epoch of a few batches: checks that everything runs', hasPlaceholders: false },
      { args: '--resume', description: 'continue the latest run from its last checkpoint', hasPlaceholders: false },
    ]);
  });

  it('reads usages after a shebang and comments, with placeholders and paths, only for the script named', () => {
    const text = [
      '#!/usr/bin/env python3',
      '# -*- coding: utf-8 -*-',
      "r'''Fine-tuning.",
      '',
      '    python3 scripts/cifar_train.py --data DIR   the dataset folder',
      '    python cifar_train.py --lr 0.1 --tag <name>',
      '    python other_train.py --smoke      another script',
      '    python cifar_train.py --data DIR   repeated',
      "'''",
      'print("python cifar_train.py --not-in-docstring")',
    ].join('\n');
    assert.deepEqual(scriptUsages(text, 'cifar_train.py'), [
      { args: '--data DIR', description: 'the dataset folder', hasPlaceholders: true },
      { args: '--lr 0.1 --tag <name>', description: '', hasPlaceholders: true },
    ]);
    assert.deepEqual(scriptUsages('import torch\n"""Not a module docstring: python train.py --x"""\n', 'train.py'), []);
    assert.deepEqual(scriptUsages('"""Unclosed docstring\n    python train.py --smoke  x\n', 'train.py'), []);
  });

  it('offers scaffolded scripts first, then by label (numbers in order)', () => {
    const script = (label: string, scaffolded: boolean): TrainingScript => ({ path: `/w/${label}`, label, scaffolded });
    const sorted = [script('b/train.py', false), script('z/train.py', true), script('a10/train.py', false), script('a2/train.py', false), script('c/train.py', true)].sort(
      compareTrainingScripts,
    );
    assert.deepEqual(
      sorted.map((entry) => entry.label),
      ['c/train.py', 'z/train.py', 'a2/train.py', 'a10/train.py', 'b/train.py'],
    );
  });
});

describe('script arguments', () => {
  it('splits on whitespace and honours quotes and escapes', () => {
    assert.deepEqual(splitArguments(''), []);
    assert.deepEqual(splitArguments('  --smoke   --epochs 3 '), ['--smoke', '--epochs', '3']);
    assert.deepEqual(splitArguments(`--name "my run" --note 'it''s' --empty "" --x=a" b"c`), ['--name', 'my run', '--note', 'its', '--empty', '', '--x=a bc']);
    assert.deepEqual(splitArguments('"say \\"hi\\"" \'no \\escape\' a\\ b'), ['say "hi"', 'no \\escape', 'a b']);
  });

  it('keeps the backslashes of Windows paths', () => {
    assert.deepEqual(splitArguments('--data C:\\data\\cifar --out "D:\\runs\\x"'), ['--data', 'C:\\data\\cifar', '--out', 'D:\\runs\\x']);
  });

  it('rejects an unclosed quote, naming where it opened', () => {
    assert.throws(() => splitArguments('--name "my run'), (error: unknown) => error instanceof ArgumentSyntaxError && /double quote at position 8/.test(error.message));
    assert.throws(() => splitArguments("it's"), ArgumentSyntaxError);
  });

  it('shows arguments so that they read back the same', () => {
    assert.equal(formatArguments(['-u', 'train.py', '--smoke']), '-u train.py --smoke');
    assert.equal(quoteArgument('my run'), '"my run"');
    assert.equal(quoteArgument(''), '""');
    const awkward = ['plain', 'two words', '', 'quote"d', "it's", 'back\\slash', 'C:\\data\\x', 'tab\there', 'trailing\\', '"'];
    assert.deepEqual(splitArguments(formatArguments(awkward)), awkward);
  });
});
