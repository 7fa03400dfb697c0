/**
 * The text training-log readers (src/formats/csvLog.ts, jsonlLog.ts,
 * mlflowLog.ts, textTail.ts) against real Keras and Lightning CSV logs
 * (values checked against Python's csv module), the demo run log, an MLflow
 * store written here, and files that grow, get rewritten or are damaged.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createKerasCsvReader, createLightningCsvReader, detectSeparator, splitCsvLine } from '../../src/formats/csvLog';
import { FormatError } from '../../src/formats/errors';
import { createJsonlReader, quoteNonFiniteTokens } from '../../src/formats/jsonlLog';
import { createMlflowReader, parseMlflowMetricLine } from '../../src/formats/mlflowLog';
import { pointsOf } from '../../src/formats/scalarColumns';
import { parseSimpleYaml } from '../../src/formats/simpleYaml';
import { TextTail, parseNumber } from '../../src/formats/textTail';
import type { LogUpdate, ScalarPoint, ScalarSeries } from '../../src/protocol/monitor';
import { realFixture } from './realFixtures';

const PYTHON = '/usr/bin/python3';

/** The rows of a CSV file as Python's csv module reads them (cells as text). */
function pythonCsv(file: string): Record<string, string>[] {
  const script = 'import csv, json, sys\nwith open(sys.argv[1], newline="") as f:\n    print(json.dumps(list(csv.DictReader(f))))';
  return JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' })) as Record<string, string>[];
}

/** Python's float() of a cell, as a JSON-safe text (so NaN survives). */
function pythonFloat(cells: string[]): number[] {
  const script = 'import json, sys\nprint(json.dumps([repr(float(c)) for c in json.loads(sys.argv[1])]))';
  const reprs = JSON.parse(execFileSync(PYTHON, ['-c', script, JSON.stringify(cells)], { encoding: 'utf8' })) as string[];
  return reprs.map((r) => (r === 'nan' ? NaN : r === 'inf' ? Infinity : r === '-inf' ? -Infinity : Number(r)));
}

function find(update: LogUpdate, tag: string, split?: string): ScalarSeries {
  const series = update.scalars.find((s) => s.tag === tag && (split === undefined || s.split === split));
  assert.ok(series, `series ${tag} ${split ?? ''}`);
  return series;
}

/** The points of a series as objects. */
function points(update: LogUpdate, tag: string, split?: string): ScalarPoint[] {
  return pointsOf(find(update, tag, split));
}

function total(update: LogUpdate): number {
  return update.scalars.reduce((n, s) => n + s.steps.length, 0);
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dlkit-textlogs-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('text logs: helpers', () => {
  it('splits CSV lines with quotes and detects the separator', () => {
    assert.deepEqual(splitCsvLine('a,"b,c","d""e",', ','), ['a', 'b,c', 'd"e', '']);
    assert.equal(splitCsvLine('a,"b', ','), undefined);
    assert.equal(detectSeparator('epoch;loss;val_loss'), ';');
    assert.equal(detectSeparator('epoch\tloss'), '\t');
    assert.equal(detectSeparator('epoch'), ',');
  });

  it('parses numbers as Python writes them', () => {
    assert.equal(parseNumber('0.25'), 0.25);
    assert.equal(parseNumber('1e-05'), 1e-5);
    assert.ok(Number.isNaN(parseNumber('nan')));
    assert.equal(parseNumber('-inf'), -Infinity);
    assert.equal(parseNumber('Infinity'), Infinity);
    assert.equal(parseNumber('abc'), undefined);
    assert.equal(parseNumber('[0.1]'), undefined);
    assert.equal(parseNumber(''), undefined);
  });

  it('quotes bare NaN / Infinity tokens only where a value stands', () => {
    assert.equal(quoteNonFiniteTokens('{"a": NaN, "b": -Infinity, "c": [Infinity]}'), '{"a": "NaN", "b": "-Infinity", "c": ["Infinity"]}');
    assert.equal(quoteNonFiniteTokens('{"note": "NaN, here", "a": 1}'), '{"note": "NaN, here", "a": 1}');
  });

  it('reads the YAML subset of hparams.yaml', () => {
    const yaml = 'lr: 0.001\nname: "resnet"\nflag: true\nnone: null\nopt:\n  beta: 0.9\n  kind: adam # comment\nlist:\n- 1\n- 2\n';
    assert.deepEqual(parseSimpleYaml(yaml), { lr: 0.001, name: 'resnet', flag: true, none: null, 'opt.beta': 0.9, 'opt.kind': 'adam' });
  });

  it('parses MLflow metric lines', () => {
    assert.deepEqual(parseMlflowMetricLine('1700000000123 0.5 3'), { timestamp: 1700000000123, value: 0.5, step: 3 });
    assert.deepEqual(parseMlflowMetricLine('1700000000123 0.5'), { timestamp: 1700000000123, value: 0.5, step: 0 });
    assert.equal(parseMlflowMetricLine('x y z'), undefined);
  });
});

describe('text logs: TextTail', () => {
  it('hands over complete lines only, across polls, in small chunks', async () => {
    const file = path.join(dir, 'a.txt');
    writeFileSync(file, 'one\r\ntw');
    const tail = new TextTail(file, { chunkBytes: 16 });
    const lines: string[] = [];
    assert.equal((await tail.read((l) => lines.push(l))).lines, 1);
    appendFileSync(file, 'o\nthree is a longer line than a chunk\n');
    await tail.read((l) => lines.push(l));
    assert.deepEqual(lines, ['one', 'two', 'three is a longer line than a chunk']);
    const again = await tail.read((l) => lines.push(l));
    assert.equal(again.lines, 0);
  });

  it('skips and counts lines over the cap without keeping them', async () => {
    const file = path.join(dir, 'b.txt');
    writeFileSync(file, `a\n${'x'.repeat(100)}`);
    const tail = new TextTail(file, { maxLineBytes: 50, chunkBytes: 16 });
    const lines: string[] = [];
    const first = await tail.read((l) => lines.push(l));
    assert.equal(first.oversized, 1);
    appendFileSync(file, 'xxxx\nb\n');
    const second = await tail.read((l) => lines.push(l));
    assert.equal(second.oversized, 0);
    assert.deepEqual(lines, ['a', 'b']);
  });

  it('restarts on truncation and on a changed first line', async () => {
    const file = path.join(dir, 'c.txt');
    writeFileSync(file, 'head\n1\n2\n');
    const tail = new TextTail(file);
    const lines: string[] = [];
    await tail.read((l) => lines.push(l));
    writeFileSync(file, 'head\n');
    const shrunk = await tail.read((l) => lines.push(l));
    assert.equal(shrunk.restarted, true);
    writeFileSync(file, 'head2\n1\n2\n3\n');
    const rewritten = await tail.read((l) => lines.push(l));
    assert.equal(rewritten.restarted, true);
    assert.deepEqual(lines, ['head', '1', '2', 'head', 'head2', '1', '2', '3']);
  });

  it('hands over the same lines, whatever the chunk size: CRLF, a BOM, UTF-8 split across chunks, blank lines', async () => {
    const file = path.join(dir, 'u.txt');
    const lines = ['first é line', '', 'ünïcødé 🙂 across chunks', 'x'.repeat(100), '{"k": "日本語"}', 'last'];
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\npartial`)]));
    for (const chunkBytes of [16, 17, 64, 1 << 20]) {
      const got: string[] = [];
      const tail = new TextTail(file, { chunkBytes });
      const read = await tail.read((l) => got.push(l));
      assert.deepEqual(got, lines, `chunks of ${chunkBytes}`);
      assert.equal(read.lines, lines.length);
      assert.equal(tail.offset, readFileSync(file).length - 'partial'.length);
    }
  });

  it('a bounded read stops at the first line end at or past its limit, never inside a line but inside one being dropped', async () => {
    const file = path.join(dir, 'bounded.txt');
    writeFileSync(file, `aaaa\nbbbbbbbb\nc\n${'x'.repeat(100)}\nd\ne`);
    const tail = new TextTail(file, { maxLineBytes: 50, chunkBytes: 16 });
    const lines: string[] = [];
    const reads = [];
    for (const maxBytes of [5, 6, 0, 1, 20, 40, 40]) {
      const read = await tail.read((l) => lines.push(l), { maxBytes });
      reads.push([read.lines, read.oversized, read.consumed, read.more, tail.offset]);
    }
    assert.deepEqual(reads, [
      [1, 0, 5, true, 5],
      [1, 0, 9, true, 14],
      [1, 0, 2, true, 16],
      // the long line: held up to the cap, then dropped chunk by chunk, a read stopping inside it
      [0, 1, 64, true, 80],
      [0, 0, 32, true, 112],
      // its end, then `d`; `e` has no line end yet
      [1, 0, 7, false, 119],
      [0, 0, 0, false, 119],
    ]);
    assert.deepEqual(lines, ['aaaa', 'bbbbbbbb', 'c', 'd']);
    appendFileSync(file, '\nf\n');
    const last = await tail.read((l) => lines.push(l), { maxBytes: 1 });
    assert.deepEqual([last.lines, last.consumed, last.more], [1, 2, true]);
    assert.deepEqual((await tail.read((l) => lines.push(l), { maxBytes: 1 })).more, false);
    assert.deepEqual(lines, ['aaaa', 'bbbbbbbb', 'c', 'd', 'e', 'f']);
  });

  it('a missing file is a FormatError naming it', async () => {
    await assert.rejects(new TextTail(path.join(dir, 'none.log')).read(() => undefined), (e: unknown) => e instanceof FormatError && e.message.startsWith('none.log:'));
    await assert.rejects(createKerasCsvReader(path.join(dir, 'none.log')).poll(), FormatError);
    await assert.rejects(createMlflowReader(path.join(dir, 'no-run')).poll(), FormatError);
  });
});

describe('text logs: Keras CSVLogger', () => {
  it('reads the real BraTS log exactly as Python does', async () => {
    const file = realFixture('csv_logs', 'keras_csvlogger_brats_training.log');
    const rows = pythonCsv(file);
    assert.equal(rows.length, 24);
    const update = await createKerasCsvReader(file).poll();
    assert.equal(update.skipped, 0);
    assert.deepEqual(update.warnings, []);
    const columns = Object.keys(rows[0]!).filter((c) => c !== 'epoch');
    assert.deepEqual(columns, ['accuracy', 'dice_coef', 'loss', 'lr', 'mean_io_u_5', 'precision', 'val_accuracy', 'val_dice_coef', 'val_loss', 'val_mean_io_u_5', 'val_precision']);
    assert.equal(update.scalars.length, columns.length);
    for (const column of columns) {
      const series = find(update, column);
      const isVal = column.startsWith('val_');
      assert.equal(series.split, isVal ? 'val' : 'train');
      assert.equal(series.metric, isVal ? column.slice(4) : column);
      const expected = pythonFloat(rows.map((r) => r[column]!));
      assert.deepEqual(
        pointsOf(series).map((p) => p.value),
        expected,
        column,
      );
      assert.deepEqual(
        pointsOf(series).map((p) => p.step),
        rows.map((r) => Number(r['epoch'])),
      );
      assert.deepEqual(
        pointsOf(series).map((p) => p.epoch),
        rows.map((r) => Number(r['epoch'])),
      );
    }
    assert.equal(points(update, 'loss')[0]!.value, 0.05603187158703804);
    assert.equal(points(update, 'val_precision')[23]!.step, 23);
  });

  it('reads the demo log (CRLF)', async () => {
    const update = await createKerasCsvReader('demo/logs/keras_csvlogger/training.log').poll();
    assert.equal(total(update), 6 * 4);
    assert.equal(points(update, 'accuracy')[0]!.value, 0.37890625);
    assert.equal(find(update, 'val_loss').metric, 'loss');
  });

  it('semicolons, NA, append-mode headers, ragged and non-numeric rows, rows written in two parts', async () => {
    const file = path.join(dir, 'log.csv');
    writeFileSync(file, 'epoch;loss;val_loss\r\n0;0.5;NA\r\n1;0.4;0.6\r\n2;0.3');
    const reader = createKerasCsvReader(file);
    const first = await reader.poll();
    assert.deepEqual(points(first, 'loss'), [
      { step: 0, value: 0.5, epoch: 0 },
      { step: 1, value: 0.4, epoch: 1 },
    ]);
    assert.equal(points(first, 'val_loss').length, 1);
    appendFileSync(file, '5;0.6\r\n3;0.2;0.5;9\r\nx;1;2\r\n4;abc;nan\r\nepoch;loss;acc\r\n5;0.1;0.9\r\n');
    const second = await reader.poll();
    assert.equal(second.restarted, undefined);
    assert.deepEqual(
      points(second, 'loss').map((p) => [p.step, p.value]),
      [
        [2, 0.35],
        [5, 0.1],
      ],
    );
    const valLoss = points(second, 'val_loss');
    assert.equal(valLoss[0]!.value, 0.6);
    assert.ok(Number.isNaN(valLoss[1]!.value));
    assert.equal(points(second, 'acc')[0]!.value, 0.9);
    assert.equal(second.skipped, 3);
    assert.equal(second.warnings.length, 3);
    assert.ok(second.warnings.every((w) => w.startsWith('log.csv: ')));
    appendFileSync(file, '6;1;2;3;4\r\n');
    const third = await reader.poll();
    assert.equal(third.skipped, 1);
    assert.deepEqual(third.warnings, [], 'one warning per file and kind');
  });
});

describe('text logs: Lightning CSVLogger', () => {
  it('reads the real sparse metrics.csv exactly as Python does', async () => {
    const file = realFixture('csv_logs', 'lightning_csvlogger_metrics.csv');
    const rows = pythonCsv(file);
    assert.equal(rows.length, 81);
    const update = await createLightningCsvReader(file).poll();
    assert.equal(update.skipped, 0);
    assert.equal(update.hparams, undefined);
    const columns = Object.keys(rows[0]!).filter((c) => c !== 'step' && c !== 'epoch');
    let pointCount = 0;
    for (const column of columns) {
      const present = rows.filter((r) => r[column] !== '');
      const series = find(update, column);
      pointCount += present.length;
      assert.deepEqual(
        pointsOf(series).map((p) => p.value),
        pythonFloat(present.map((r) => r[column]!)),
        column,
      );
      assert.deepEqual(
        pointsOf(series).map((p) => [p.step, p.epoch]),
        present.map((r) => [Number(r['step']), Number(r['epoch'])]),
      );
    }
    assert.equal(total(update), pointCount);
    assert.deepEqual(
      ['acc_epoch', 'acc_step', 'train_loss_step', 'train_loss_epoch', 'test_loss', 'avg_test_acc'].map((t) => {
        const s = find(update, t);
        return [s.metric, s.split];
      }),
      [
        ['acc', undefined],
        ['acc', undefined],
        ['loss', 'train'],
        ['loss', 'train'],
        ['loss', 'test'],
        ['avg_test_acc', undefined],
      ],
    );
    assert.equal(points(update, 'train_loss_step').length, 75);
  });

  it('reads the demo run with its hparams.yaml', async () => {
    const update = await createLightningCsvReader('demo/lightning_logs/version_0/metrics.csv').poll();
    assert.deepEqual(update.hparams, { batch_size: 64, hidden: 16, lr: 0.001, width: 8 });
    const loss = find(update, 'val_loss');
    assert.deepEqual([loss.metric, loss.split], ['loss', 'val']);
    assert.deepEqual(pointsOf(loss).at(-1), { step: 255, value: 0.9006035327911377, epoch: 3 });
  });

  it('reads train/ and val/ prefixed columns with their _step and _epoch suffixes', async () => {
    const file = path.join(dir, 'metrics.csv');
    writeFileSync(file, 'epoch,step,train/loss_epoch,train/loss_step,val/acc,Loss/train/step\n0,9,,1.5,,7\n0,9,1.4,,0.5,\n');
    const update = await createLightningCsvReader(file).poll();
    assert.deepEqual(
      update.scalars.map((s) => [s.tag, s.metric, s.split, [...s.values]]),
      [
        ['train/loss_step', 'loss', 'train', [1.5]],
        ['Loss/train/step', 'Loss/train/step', undefined, [7]],
        ['train/loss_epoch', 'loss', 'train', [1.4]],
        ['val/acc', 'acc', 'val', [0.5]],
      ],
    );
  });

  it('starts over when the header is rewritten for a new key', async () => {
    const file = path.join(dir, 'metrics.csv');
    writeFileSync(path.join(dir, 'hparams.yaml'), 'lr: 0.01\n');
    writeFileSync(file, 'epoch,step,train_loss\n0,9,1.5\n0,19,1.25\n');
    const reader = createLightningCsvReader(file);
    const first = await reader.poll();
    assert.equal(points(first, 'train_loss').length, 2);
    assert.deepEqual(first.hparams, { lr: 0.01 });
    appendFileSync(file, '0,29,1.0\n0,3');
    const second = await reader.poll();
    assert.deepEqual(points(second, 'train_loss'), [{ step: 29, value: 1, epoch: 0 }]);
    assert.equal(second.hparams, undefined);
    writeFileSync(file, 'epoch,step,train_loss,val_loss\n0,9,1.5,\n0,19,1.25,\n0,29,1.0,\n0,29,,2.0\n');
    const third = await reader.poll();
    assert.equal(third.restarted, true);
    assert.equal(points(third, 'train_loss').length, 3);
    assert.deepEqual(points(third, 'val_loss', 'val'), [{ step: 29, value: 2, epoch: 0 }]);
    assert.deepEqual(third.hparams, { lr: 0.01 });
  });
});

describe('text logs: JSONL run log', () => {
  it('reads demo/runs/cnn-baseline', async () => {
    const update = await createJsonlReader('demo/runs/cnn-baseline/metrics.jsonl').poll();
    assert.equal(update.skipped, 0);
    const trainLoss = find(update, 'loss', 'train');
    const valLoss = find(update, 'loss', 'val');
    assert.equal(pointsOf(trainLoss).length, 80);
    assert.equal(pointsOf(valLoss).length, 5);
    assert.deepEqual(pointsOf(trainLoss)[0], { step: 4, epoch: 1, wallTime: 1717236000.48, value: 2.34235 });
    assert.deepEqual(pointsOf(valLoss).at(-1), { step: 320, epoch: 5, wallTime: 1717236042.4, value: 0.600759 });
    assert.equal(points(update, 'lr', 'val').at(-1)!.value, 0);
    assert.equal(update.scalars.length, 6);
    assert.equal(update.hparams?.['model'], 'SmallCNN');
    assert.equal(update.hparams?.['lr'], 0.003);
    assert.equal(update.hparams?.['log_every_steps'], 4);
  });

  it('NaN strings and bare tokens, broken lines, truncation, a last line left for later', async () => {
    const file = path.join(dir, 'metrics.jsonl');
    const demo = readFileSync('demo/runs/cnn-baseline/metrics.jsonl', 'utf8').split('\n').slice(0, 3).join('\n');
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ name: 'x', status: 'running', config: { lr: 0.1, opt: { name: 'sgd', betas: [0.9, 0.99] } } }));
    writeFileSync(file, `${demo}\n{"step": 12, "epoch": 1, "split": "train", "time": 1, "loss": "NaN", "acc": null}\r\n`);
    const reader = createJsonlReader(file);
    const first = await reader.poll();
    assert.deepEqual(first.hparams, { lr: 0.1, 'opt.name': 'sgd', 'opt.betas': '[0.9,0.99]' });
    const loss = find(first, 'loss', 'train');
    assert.equal(pointsOf(loss).length, 4);
    assert.ok(Number.isNaN(pointsOf(loss)[3]!.value));
    assert.equal(points(first, 'accuracy').length, 3);
    appendFileSync(file, '{"step": 16, "epoch": 1, "split": "train", "time": 2, "loss": Infinity, "x": -Infinity}\n{"step": 17,\n\n{"epoch": 1, "split": "val"}\n[1, 2]\n{"step": 20, "ep');
    const second = await reader.poll();
    assert.equal(second.skipped, 3);
    assert.equal(second.warnings.length, 2);
    assert.deepEqual(points(second, 'loss').map((p) => p.value), [Infinity]);
    assert.deepEqual(points(second, 'x').map((p) => p.value), [-Infinity]);
    appendFileSync(file, 'och": 2, "split": "val", "time": 3, "loss": 0.5}\n');
    const third = await reader.poll();
    assert.deepEqual(points(third, 'loss', 'val'), [{ step: 20, epoch: 2, wallTime: 3, value: 0.5 }]);
    writeFileSync(file, '{"step": 1, "epoch": 1, "split": "train", "time": 1, "loss": 9}\n');
    const fourth = await reader.poll();
    assert.equal(fourth.restarted, true);
    assert.deepEqual(points(fourth, 'loss').map((p) => p.value), [9]);
    assert.deepEqual(fourth.hparams, first.hparams);
  });

  it('takes a whole unterminated last line once the run has ended', async () => {
    const file = path.join(dir, 'metrics.jsonl');
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ status: 'running', config: {} }));
    writeFileSync(file, '{"step": 1, "epoch": 1, "split": "train", "time": 1, "loss": 1}\n{"step": 2, "epoch": 1, "split": "train", "time": 2, "loss": 2}');
    const reader = createJsonlReader(file);
    assert.equal(points(await reader.poll(), 'loss').length, 1);
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ status: 'finished', config: {}, ended: 3 }));
    assert.deepEqual(points(await reader.poll(), 'loss').map((p) => p.step), [2]);
    assert.equal(total(await reader.poll()), 0);
  });

  it('a resumed run (a lower step on a split) rewinds that split, within a poll and across polls', async () => {
    const file = path.join(dir, 'metrics.jsonl');
    const row = (step: number, split: string, loss: number, extra = ''): string => `{"step": ${step}, "epoch": 1, "split": "${split}", "time": ${step}, "loss": ${loss}${extra}}\n`;
    writeFileSync(file, row(4, 'train', 4, ', "lr": 0.1') + row(8, 'train', 8) + row(8, 'val', 80) + row(12, 'train', 12));
    const reader = createJsonlReader(file);
    const first = await reader.poll();
    assert.equal(first.rewinds, undefined);
    assert.deepEqual([...find(first, 'loss', 'train').steps], [4, 8, 12]);
    // Resumed from the checkpoint at step 4: train rows from 8 on are void, val keeps its own.
    appendFileSync(file, row(8, 'train', -8) + row(12, 'train', -12) + row(6, 'train', -6) + row(12, 'val', 120));
    const second = await reader.poll();
    assert.deepEqual(second.rewinds, [
      { tag: 'loss', split: 'train', fromStep: 6 },
      { tag: 'lr', split: 'train', fromStep: 6 },
    ]);
    assert.deepEqual(pointsOf(find(second, 'loss', 'train')).map((p) => [p.step, p.value]), [[6, -6]]);
    assert.deepEqual([...find(second, 'loss', 'val').steps], [12]);
    assert.equal(second.skipped, 0);
    const third = await reader.poll();
    assert.equal(third.rewinds, undefined);
    appendFileSync(file, row(10, 'val', 100));
    assert.deepEqual((await reader.poll()).rewinds, [{ tag: 'loss', split: 'val', fromStep: 10 }]);
  });

  it('reports the run facts of run.json when they change, and a newer format', async () => {
    const file = path.join(dir, 'metrics.jsonl');
    const runJson = path.join(dir, 'run.json');
    writeFileSync(runJson, JSON.stringify({ name: 'cnn', status: 'running', started: 100.5, ended: null, planned_epochs: 5, planned_steps: 320, pid: 4242, config: { lr: 0.1 } }));
    writeFileSync(file, '{"step": 1, "epoch": 1, "split": "train", "time": 1, "loss": 1}\n');
    const reader = createJsonlReader(file);
    const first = await reader.poll();
    assert.deepEqual(first.run, { name: 'cnn', status: 'running', started: 100.5, plannedEpochs: 5, plannedSteps: 320, pid: 4242 });
    assert.equal((await reader.poll()).run, undefined, 'unchanged: not repeated');
    writeFileSync(runJson, JSON.stringify({ format: 2, name: 'cnn', status: 'failed', started: 100.5, ended: 140, planned_epochs: 5, planned_steps: 'many', pid: null, config: { lr: 0.1 } }));
    const second = await reader.poll();
    assert.deepEqual(second.run, { name: 'cnn', status: 'failed', started: 100.5, ended: 140, plannedEpochs: 5, newerFormat: true });
    assert.equal(second.hparams, undefined, 'the config did not change');
    assert.equal(second.warnings.length, 1);
    assert.match(second.warnings[0]!, /^run\.json: written in run-log format 2/);
    writeFileSync(runJson, '{"name": "cnn", "status": "fin');
    assert.equal((await reader.poll()).run, undefined, 'a run.json caught halfway through a rewrite keeps the last facts');
    writeFileSync(file, '{"step": 1, "epoch": 1, "split": "train", "time": 1, "loss": 2}\n');
    assert.deepEqual((await reader.poll()).run, second.run, 'a restarted log gives the facts again');
  });

  it('reads demo run facts', async () => {
    const update = await createJsonlReader('demo/runs/cnn-baseline/metrics.jsonl').poll();
    assert.deepEqual(update.run, { name: 'cnn-baseline', status: 'finished', started: 1717236000, ended: 1717236042.4, plannedEpochs: 5, plannedSteps: 320 });
  });

  it('reads a generic JSONL of numbers', async () => {
    const file = path.join(dir, 'log.jsonl');
    writeFileSync(file, '{"loss": 1.5, "acc": 0.1, "tag": "a"}\n{"global_step": 10, "loss": 1.0, "val_loss": 1.2, "time": 5}\nnot json\n{"iteration": 30, "loss": NaN}\n{"loss": 0.5, "eval/accuracy": 0.7, "loss/train": 0.4}\n');
    const update = await createJsonlReader(file).poll();
    assert.deepEqual(points(update, 'loss').map((p) => [p.step, p.value]), [
      [0, 1.5],
      [10, 1],
      [30, NaN],
      [4, 0.5],
    ]);
    const val = find(update, 'val_loss');
    assert.deepEqual([val.metric, val.split, pointsOf(val)[0]!.wallTime], ['loss', 'val', 5]);
    assert.deepEqual(['eval/accuracy', 'loss/train'].map((tag) => [find(update, tag).metric, find(update, tag).split]), [
      ['accuracy', 'val'],
      ['loss', 'train'],
    ]);
    assert.equal(update.skipped, 1);
    assert.equal(update.hparams, undefined);
  });
});

describe('text logs: MLflow file store', () => {
  it('reads metrics, params and the run name, then only what was appended', async () => {
    const run = path.join(dir, 'mlruns', '0', 'abc123');
    mkdirSync(path.join(run, 'metrics', 'train'), { recursive: true });
    mkdirSync(path.join(run, 'params'), { recursive: true });
    mkdirSync(path.join(run, 'tags'), { recursive: true });
    writeFileSync(path.join(run, 'metrics', 'loss'), '1700000000000 0.9 0\n1700000001000 0.7 1\n1700000002000 nan 2\n');
    writeFileSync(path.join(run, 'metrics', 'val_acc'), '1700000001500 0.5 1\nbroken\n');
    writeFileSync(path.join(run, 'metrics', 'train', 'loss'), '1700000000000 1.25 0\n1700000001000 1.0');
    writeFileSync(path.join(run, 'params', 'lr'), '0.001');
    writeFileSync(path.join(run, 'params', 'optimizer'), 'Adam');
    writeFileSync(path.join(run, 'tags', 'mlflow.runName'), 'bold-fox-42');
    writeFileSync(path.join(run, 'tags', 'mlflow.user'), 'someone');
    const reader = createMlflowReader(run);
    const first = await reader.poll();
    assert.deepEqual(first.hparams, { lr: 0.001, optimizer: 'Adam', 'mlflow.runName': 'bold-fox-42' });
    const loss = find(first, 'loss');
    assert.deepEqual([loss.metric, loss.split], ['loss', undefined]);
    assert.deepEqual(pointsOf(loss).slice(0, 2), [
      { step: 0, value: 0.9, wallTime: 1700000000 },
      { step: 1, value: 0.7, wallTime: 1700000001 },
    ]);
    assert.ok(Number.isNaN(pointsOf(loss)[2]!.value));
    const val = find(first, 'val_acc');
    assert.deepEqual([val.metric, val.split, pointsOf(val).length], ['acc', 'val', 1]);
    const train = find(first, 'train/loss');
    assert.deepEqual([train.metric, train.split, pointsOf(train).length], ['loss', 'train', 1]);
    assert.equal(first.skipped, 1);
    assert.equal(first.warnings.length, 1);

    appendFileSync(path.join(run, 'metrics', 'train', 'loss'), ' 1\n');
    writeFileSync(path.join(run, 'metrics', 'lr'), '1700000003000 0.01 3\n');
    const second = await reader.poll();
    assert.equal(second.hparams, undefined);
    assert.deepEqual(points(second, 'train/loss'), [{ step: 1, value: 1, wallTime: 1700000001 }]);
    assert.equal(points(second, 'lr').length, 1);
    assert.equal(total(second), 2);

    writeFileSync(path.join(run, 'params', 'epochs'), '10');
    writeFileSync(path.join(run, 'metrics', 'loss'), '1700000009000 0.1 0\n');
    const third = await reader.poll();
    assert.equal(third.restarted, true);
    assert.equal(total(third), 1 + 1 + 2 + 1);
    assert.equal(third.hparams?.['epochs'], 10);
  });

  it('reads the run facts of meta.yaml (status as MLflow stores it: a number), when they change', async () => {
    const run = path.join(dir, 'mlruns', '1', 'def456');
    mkdirSync(path.join(run, 'metrics', 'loss'), { recursive: true });
    writeFileSync(path.join(run, 'metrics', 'loss', 'val'), '1700000000000 0.5 3\n');
    const meta = (status: string, end: string): string =>
      `artifact_uri: file:///somewhere/mlruns/1/def456/artifacts\nend_time: ${end}\nentry_point_name: ''\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: def456\nrun_name: calm-owl-7\nrun_uuid: def456\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1700000000123\nstatus: ${status}\ntags: []\nuser_id: someone\n`;
    writeFileSync(path.join(run, 'meta.yaml'), meta('1', 'null'));
    const reader = createMlflowReader(run);
    const first = await reader.poll();
    assert.deepEqual(first.run, { name: 'calm-owl-7', status: 'running', started: 1700000000.123 });
    const loss = find(first, 'loss/val');
    assert.deepEqual([loss.metric, loss.split, [...loss.steps]], ['loss', 'val', [3]]);
    assert.equal((await reader.poll()).run, undefined);
    // Each differs from the one before: equal facts are not repeated.
    const expectations: [string, string][] = [
      ['2', 'running'],
      ['3', 'finished'],
      ['4', 'failed'],
      ['3', 'finished'],
      ['5', 'failed'],
      ['FINISHED', 'finished'],
      ['KILLED', 'failed'],
      ['SCHEDULED', 'running'],
    ];
    for (const [status, expected] of expectations) {
      writeFileSync(path.join(run, 'meta.yaml'), `${meta(status, '1700000060000')}# ${status}\n`);
      assert.deepEqual((await reader.poll()).run, { name: 'calm-owl-7', status: expected, started: 1700000000.123, ended: 1700000060 }, status);
    }
    writeFileSync(path.join(run, 'meta.yaml'), 'run_name: ""\nstatus: 9\nstart_time: soon\n');
    mkdirSync(path.join(run, 'tags'));
    writeFileSync(path.join(run, 'tags', 'mlflow.runName'), 'tagged-name');
    assert.deepEqual((await reader.poll()).run, { name: 'tagged-name' }, 'unknown status and times left out; the run name tag stands in');
  });
});

describe('text logs: limits', () => {
  it('a line over 1 MB is skipped and counted', async () => {
    const file = path.join(dir, 'big.jsonl');
    writeFileSync(file, `{"step": 1, "loss": 1}\n{"step": 2, "pad": "${'x'.repeat(1024 * 1024 + 10)}"}\n{"step": 3, "loss": 3}\n`);
    const update = await createJsonlReader(file).poll();
    assert.equal(update.skipped, 1);
    assert.deepEqual(points(update, 'loss').map((p) => p.step), [1, 3]);
  });

  it('a file truncated to nothing restarts empty', async () => {
    const file = path.join(dir, 'log.csv');
    writeFileSync(file, 'epoch,loss\n0,1\n');
    const reader = createKerasCsvReader(file);
    await reader.poll();
    truncateSync(file, 0);
    const update = await reader.poll();
    assert.equal(update.restarted, true);
    assert.equal(total(update), 0);
    writeFileSync(file, 'epoch,acc\n0,0.5\n');
    const after = await reader.poll();
    assert.equal(points(after, 'acc').length, 1);
  });
});
