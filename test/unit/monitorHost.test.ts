/** The host side of the Training Monitor in plain Node: history, status, ETA, problems, export, images, registry. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findRuns, type RunSource } from '../../src/formats/runDiscovery';
import { CSV_HEADER, csvChunks, csvField } from '../../src/monitor/csvExport';
import { isLossMetric } from '../../src/monitor/metricGoal';
import { ProblemWatch, findProblem, isDiverging, problemMessage } from '../../src/monitor/problems';
import { RunRegistry } from '../../src/monitor/runRegistry';
import { RunTracker } from '../../src/monitor/runTracker';
import { RUN_COLOURS, etaSeconds, runStatus } from '../../src/monitor/runView';
import { SampleImages, pngSize } from '../../src/monitor/sampleImages';
import { SeriesColumns } from '../../src/monitor/seriesColumns';
import { mainLoss, shortDuration, shortValue, statusText } from '../../src/monitor/statusText';
import type { ScalarSeries } from '../../src/protocol/monitor';
import type { RunView } from '../../src/protocol/monitorView';

/** A 1×1 PNG and a 3×2 red one (zlib-encoded, valid CRCs). */
const PNG_1x1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const PNG_3x2 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAAEElEQVR4nGP4z8AAQQxwFgBB0gX7h/C5SAAAAABJRU5ErkJggg==', 'base64');

function points(steps: number[], values: number[], epochs?: number[]): ScalarSeries {
  return {
    tag: 'loss',
    metric: 'loss',
    split: 'train',
    steps: Float64Array.from(steps),
    values: Float64Array.from(values),
    wallTimes: Float64Array.from(steps, (s) => 1000 + s),
    epochs: Float64Array.from(epochs ?? steps.map(() => NaN)),
  };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('monitor host', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dlkit-monitor-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('SeriesColumns', () => {
    it('grows past its capacity and keeps every point', () => {
      const columns = new SeriesColumns();
      for (let chunk = 0; chunk < 50; chunk++) {
        const steps = Array.from({ length: 7 }, (_, i) => chunk * 7 + i);
        columns.append(points(steps, steps.map((s) => s * 2)));
      }
      assert.equal(columns.length, 350);
      const copy = columns.copy();
      assert.equal(copy.steps.length, 350);
      assert.equal(copy.values[349], 698);
      assert.equal(copy.wallTimes[10], 1010);
      assert.ok(Number.isNaN(copy.epochs[0]!));
      assert.deepEqual([...columns.copy(348).steps], [348, 349]);
    });

    it('finds where a resumed run cuts, from the end', () => {
      const columns = new SeriesColumns();
      columns.append(points([1, 2, 3, 4, 5], [1, 1, 1, 1, 1]));
      assert.equal(columns.indexOfStepFromEnd(4), 3);
      assert.equal(columns.indexOfStepFromEnd(9), 5);
      assert.equal(columns.indexOfStepFromEnd(0), 0);
      columns.truncate(3);
      assert.deepEqual([...columns.copy().steps], [1, 2, 3]);
    });

    it('copies are not views of its buffers', () => {
      const columns = new SeriesColumns();
      columns.append(points([1, 2], [3, 4]));
      const copy = columns.copy();
      assert.equal(copy.values.buffer.byteLength, 2 * 8);
    });
  });

  describe('memory bounds', () => {
    const row = (step: number, loss: number | string) => `${JSON.stringify({ step, epoch: 1, split: 'train', time: step, loss })}\n`;

    it('thins the older half of a series, keeping the newer half and every NaN/Inf', () => {
      const columns = new SeriesColumns();
      const steps = Array.from({ length: 10 }, (_, i) => i);
      columns.append(points(steps, steps.map((s) => (s === 1 ? NaN : s))));
      // The older half 0..4 keeps 0, 2, 4 and the NaN at 1; the newer half 5..9 stays whole.
      assert.equal(columns.thinOlderHalf(), 9);
      assert.deepEqual([...columns.copy().steps], [0, 1, 2, 4, 5, 6, 7, 8, 9]);
      assert.ok(Number.isNaN(columns.valueAt(1)));
      assert.equal(columns.valueAt(3), 4);
    });

    it('keeps a series within its point budget, tells the panel to take it anew, and exports every logged point from the file', async () => {
      const run = path.join(dir, 'runs', 'long');
      mkdirSync(run, { recursive: true });
      writeFileSync(path.join(run, 'metrics.jsonl'), Array.from({ length: 1000 }, (_, i) => row(i + 1, i === 10 ? 'NaN' : 1 / (i + 1))).join(''));
      const [source] = await findRuns(dir);
      const tracker = new RunTracker(source!, { maxSeriesPoints: 100 });
      await tracker.poll();
      const loss = [...tracker.series.values()][0]!;
      assert.ok(loss.columns.length <= 100 && loss.columns.length > 50, `kept ${loss.columns.length}`);
      const kept = [...loss.columns.copy().steps];
      assert.deepEqual(kept.slice(-40), Array.from({ length: 40 }, (_, i) => 961 + i), 'the newest points are all there');
      assert.ok(kept.includes(11), 'the NaN at step 11 is kept');
      assert.ok(tracker.thinned);
      assert.match(tracker.warnings.join('\n'), /train loss: too many points to keep them all in memory/);
      assert.equal(tracker.takeAppends()[0]?.from, 0);

      let text = '';
      for await (const chunk of csvChunks([{ name: 'runs/long', run: tracker }])) text += chunk;
      const lines = text.trim().split('\n');
      assert.equal(lines.length, 1001, 'header and every logged point');
      assert.equal(lines[11], 'runs/long,loss,loss,train,11,1,11,NaN');
    });

    it('keeps all runs together within the total budget by thinning the largest series', async () => {
      for (const [name, count] of [['big', 600], ['small', 100]] as const) {
        mkdirSync(path.join(dir, 'runs', name), { recursive: true });
        writeFileSync(path.join(dir, 'runs', name, 'metrics.jsonl'), Array.from({ length: count }, (_, i) => row(i + 1, 1 / (i + 1))).join(''));
      }
      const registry = new RunRegistry({ discover: async () => (await findRuns(dir)).map((source) => ({ source, name: path.relative(dir, source.path) })), maxTotalPoints: 400 });
      await registry.refresh();
      const sizes = Object.fromEntries(registry.list().map((run) => [run.name, run.tracker.pointCount]));
      assert.ok(sizes['runs/big']! + sizes['runs/small']! <= 400, JSON.stringify(sizes));
      assert.equal(sizes['runs/small'], 100, 'the small run is untouched');
      registry.dispose();
    });
  });

  describe('run status and time left', () => {
    const base = { pid: undefined, pidAlive: undefined, lastGrowthMs: undefined, lastWriteMs: undefined, nowMs: 100_000_000, ownProcess: undefined };
    it('believes finished and failed', () => {
      assert.equal(runStatus({ ...base, stated: 'finished' }), 'finished');
      assert.equal(runStatus({ ...base, stated: 'failed', lastGrowthMs: 99_999_000 }), 'failed');
    });
    it('calls a "running" run with a dead writer stopped, unless its files still grow', () => {
      assert.equal(runStatus({ ...base, stated: 'running', pid: 42, pidAlive: false }), 'stopped');
      assert.equal(runStatus({ ...base, stated: 'running', pid: 42, pidAlive: false, lastGrowthMs: 99_990_000 }), 'running');
      assert.equal(runStatus({ ...base, stated: 'running', pid: 42, pidAlive: true }), 'running');
      assert.equal(runStatus({ ...base, stated: 'running' }), 'running');
    });
    it('calls a "running" run without a pid stale (idle) when it wrote nothing for ten minutes', () => {
      assert.equal(runStatus({ ...base, stated: 'running', lastWriteMs: 100_000_000 - 5 * 60_000 }), 'running');
      assert.equal(runStatus({ ...base, stated: 'running', lastWriteMs: 100_000_000 - 11 * 60_000 }), 'idle');
      assert.equal(runStatus({ ...base, stated: 'running', pidAlive: true, lastWriteMs: 0 }), 'running', 'a live writer is running even when quiet');
    });
    it('goes by growth when the log states nothing', () => {
      assert.equal(runStatus({ ...base, stated: undefined, lastGrowthMs: 99_970_000 }), 'running');
      assert.equal(runStatus({ ...base, stated: undefined, lastGrowthMs: 99_910_000 }), 'idle');
      assert.equal(runStatus({ ...base, stated: undefined }), 'idle');
    });
    it('knows best about a process it started', () => {
      assert.equal(runStatus({ ...base, stated: 'finished', ownProcess: 'running' }), 'running');
      assert.equal(runStatus({ ...base, stated: 'running', pidAlive: false, lastGrowthMs: 99_999_000, ownProcess: 'ended' }), 'stopped');
      assert.equal(runStatus({ ...base, stated: 'finished', ownProcess: 'ended' }), 'finished');
    });
    it('estimates from steps, else from whole epochs', () => {
      assert.equal(etaSeconds({ step: 100, plannedSteps: 400, started: 1000, lastWallTime: 1050 }), 150);
      assert.equal(etaSeconds({ step: 400, plannedSteps: 400, started: 1000, lastWallTime: 1050 }), 0);
      assert.equal(etaSeconds({ epoch: 3, plannedEpochs: 10, firstWallTime: 1000, lastWallTime: 1100 }), 400);
      assert.equal(etaSeconds({ epoch: 1, plannedEpochs: 10, firstWallTime: 1000, lastWallTime: 1100 }), undefined);
      assert.equal(etaSeconds({ step: 100, started: 1000, lastWallTime: 1050 }), undefined);
      assert.equal(etaSeconds({ step: 100, plannedSteps: 400, lastWallTime: 1050 }), undefined);
    });
  });

  describe('problems', () => {
    it('knows loss-like names', () => {
      for (const name of ['loss', 'val_loss', 'd_loss', 'mse', 'MAE', 'error_rate', 'perplexity']) assert.ok(isLossMetric(name), name);
      for (const name of ['accuracy', 'lr', 'f1', 'auc']) assert.ok(!isLossMetric(name), name);
    });
    it('calls a loss that climbs above its start and far above its best diverging, not a noisy plateau', () => {
      const falling = Array.from({ length: 30 }, (_, i) => 2 / (1 + i));
      assert.equal(isDiverging(falling, falling.length), false);
      const exploded = [...falling, 5, 8, 13];
      assert.equal(isDiverging(exploded, exploded.length), true);
      const oneSpike = [...falling, 5, 0.1, 13];
      assert.equal(isDiverging(oneSpike, oneSpike.length), false);
      const short = [1, 0.5, 3, 4, 5];
      assert.equal(isDiverging(short, short.length), false, 'too few points to tell');
    });
    it('finds NaN and Infinity only in the new points, and names them', async () => {
      const run = path.join(dir, 'runs', 'nan');
      mkdirSync(run, { recursive: true });
      const rows = [1, 2, 3].map((step) => JSON.stringify({ step, epoch: 1, split: 'train', time: step, loss: step === 3 ? 'NaN' : 1 / step }));
      writeFileSync(path.join(run, 'metrics.jsonl'), rows.join('\n') + '\n');
      const [source] = await findRuns(dir);
      const tracker = new RunTracker(source!);
      const { grown } = await tracker.poll();
      const series = grown[0]!.series;
      const problem = findProblem(series, 0);
      assert.deepEqual(problem, { kind: 'non-finite', metric: 'loss', split: 'train', step: 3, value: NaN });
      assert.equal(findProblem(series, 3), undefined);
      assert.equal(problemMessage('runs/nan', problem!), 'Run runs/nan: loss became NaN at step 3.');
    });
    it('tells each problem of a watched run once, and never problems in history read on opening', async () => {
      const run = path.join(dir, 'runs', 'watched');
      mkdirSync(run, { recursive: true });
      const file = path.join(run, 'metrics.jsonl');
      const row = (step: number, loss: number | string) => `${JSON.stringify({ step, epoch: 1, split: 'train', time: step, loss })}\n`;
      writeFileSync(file, row(1, 2) + row(2, 'NaN'));
      const [source] = await findRuns(dir);
      const tracker = new RunTracker(source!);
      const watch = new ProblemWatch();
      assert.deepEqual(watch.check('runs/watched', tracker, await tracker.poll()), [], 'the NaN was there before we watched');
      appendFileSync(file, row(3, 'Infinity') + row(4, 1));
      assert.deepEqual(watch.check('runs/watched', tracker, await tracker.poll()), ['Run runs/watched: loss became Infinity at step 3.']);
      appendFileSync(file, row(5, 'NaN'));
      assert.deepEqual(watch.check('runs/watched', tracker, await tracker.poll()), [], 'told once');
      // A loss that climbs far above where it started is told too, as its own kind.
      appendFileSync(file, Array.from({ length: 12 }, (_, i) => row(6 + i, 1 / (i + 1))).join('') + row(18, 5) + row(19, 6) + row(20, 7));
      assert.deepEqual(watch.check('runs/watched', tracker, await tracker.poll()), ['Run runs/watched: loss is diverging (7.000 at step 20, above where it started).']);
    });
  });

  describe('status bar text', () => {
    it('reads like the issue asks: name · epoch · loss · ETA', async () => {
      const run = path.join(dir, 'runs', 'cnn');
      mkdirSync(run, { recursive: true });
      writeFileSync(path.join(run, 'metrics.jsonl'), `${JSON.stringify({ step: 4, epoch: 3, split: 'train', time: 1, loss: 0.41234, accuracy: 0.5 })}\n`);
      const [source] = await findRuns(dir);
      const tracker = new RunTracker(source!);
      await tracker.poll();
      const view = { name: 'runs/cnn', epoch: 3, plannedEpochs: 20, etaSeconds: 125 } as RunView;
      assert.equal(statusText(view, mainLoss(tracker)), 'cnn · epoch 3/20 · loss 0.412 · ETA 2m');
    });
    it('formats durations and values compactly', () => {
      assert.deepEqual([shortDuration(42), shortDuration(125), shortDuration(3 * 3600 + 5 * 60), shortDuration(NaN)], ['42s', '2m', '3h 05m', '?']);
      assert.deepEqual([shortValue(0.41234), shortValue(1234567), shortValue(0.00001234), shortValue(NaN), shortValue(-Infinity)], ['0.412', '1.23e+6', '1.23e-5', 'NaN', '-Infinity']);
    });
  });

  describe('CSV export', () => {
    it('writes every point with its run, split, epoch and wall time; NaN spelled out', async () => {
      const run = path.join(dir, 'runs', 'a,b');
      mkdirSync(run, { recursive: true });
      const rows = [
        { step: 1, epoch: 1, split: 'train', time: 10.5, loss: 2 },
        { step: 2, epoch: 1, split: 'train', time: 11, loss: 'NaN' },
        { step: 2, epoch: 1, split: 'val', time: 12, loss: 1.5 },
      ];
      writeFileSync(path.join(run, 'metrics.jsonl'), rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
      const [source] = await findRuns(dir);
      const tracker = new RunTracker(source!);
      await tracker.poll();
      let text = '';
      for await (const chunk of csvChunks([{ name: 'runs/a,b', run: tracker }])) text += chunk;
      assert.equal(text, [CSV_HEADER, '"runs/a,b",loss,loss,train,1,1,10.5,2', '"runs/a,b",loss,loss,train,2,1,11,NaN', '"runs/a,b",loss,loss,val,2,1,12,1.5', ''].join('\n'));
      assert.equal(csvField('say "hi"'), '"say ""hi"""');
    });
  });

  describe('sample images', () => {
    it('reads PNG sizes and rejects other bytes', () => {
      assert.deepEqual(pngSize(PNG_1x1), { width: 1, height: 1 });
      assert.deepEqual(pngSize(PNG_3x2), { width: 3, height: 2 });
      assert.equal(pngSize(Buffer.from('GIF89a........................')), undefined);
      assert.equal(pngSize(PNG_1x1.subarray(0, 20)), undefined);
    });

    it('lists the newest images first, re-reads only on change, and names a broken one once', async () => {
      const folder = path.join(dir, 'samples');
      mkdirSync(folder);
      writeFileSync(path.join(folder, 'epoch-001.png'), PNG_1x1);
      writeFileSync(path.join(folder, 'epoch-002.png'), PNG_3x2);
      writeFileSync(path.join(folder, 'notes.txt'), 'not an image');
      utimesSync(path.join(folder, 'epoch-001.png'), 1000, 1000);
      utimesSync(path.join(folder, 'epoch-002.png'), 2000, 2000);
      const warnings: string[] = [];
      const samples = new SampleImages(folder);
      const first = await samples.poll((line) => warnings.push(line));
      assert.deepEqual(
        first?.map((image) => [image.tag, image.width, image.wallTime]),
        [
          ['samples/epoch-002.png', 3, 2000],
          ['samples/epoch-001.png', 1, 1000],
        ],
      );
      assert.ok(first?.[0]?.dataUri.startsWith('data:image/png;base64,iVBOR'));
      assert.equal(await samples.poll(() => {}), undefined, 'unchanged folder: nothing new');
      await sleep(20);
      writeFileSync(path.join(folder, 'epoch-003.png'), Buffer.from('broken'));
      const second = await samples.poll((line) => warnings.push(line));
      assert.equal(second?.length, 2);
      assert.deepEqual(warnings, ['epoch-003.png: not a PNG image (or only partly written), not shown']);
    });
  });

  describe('RunRegistry', () => {
    const row = (step: number) => `${JSON.stringify({ step, epoch: 1, split: 'train', time: step, loss: 1 / step })}\n`;

    it('finds runs, gives each a colour it keeps, and drops runs that went away', async () => {
      for (const name of ['a', 'b']) {
        mkdirSync(path.join(dir, 'runs', name), { recursive: true });
        writeFileSync(path.join(dir, 'runs', name, 'metrics.jsonl'), row(1));
      }
      const slots = new Map<string, number>([[path.join(dir, 'runs', 'b'), 4]]);
      let sources: RunSource[] = await findRuns(dir);
      const registry = new RunRegistry({ discover: async () => sources.map((source) => ({ source, name: path.relative(dir, source.path) })), colourSlots: slots });
      const changes: boolean[] = [];
      registry.onDidChange((change) => changes.push(change.runsChanged));
      await registry.refresh();
      assert.deepEqual(
        registry.list().map((run) => [run.name, run.colour, run.tracker.series.size]),
        [
          ['runs/a', RUN_COLOURS[0], 1],
          ['runs/b', RUN_COLOURS[4], 1],
        ],
      );
      sources = sources.filter((source) => source.path.endsWith('a'));
      await registry.refresh();
      assert.deepEqual(
        registry.list().map((run) => run.name),
        ['runs/a'],
      );
      assert.deepEqual(changes, [true, true]);
      registry.dispose();
    });

    it('polls the run a changed file belongs to, and looks for a new run when no run owns the file', async () => {
      mkdirSync(path.join(dir, 'runs', 'a'), { recursive: true });
      const file = path.join(dir, 'runs', 'a', 'metrics.jsonl');
      writeFileSync(file, row(1));
      const registry = new RunRegistry({ discover: async () => (await findRuns(dir)).map((source) => ({ source, name: path.relative(dir, source.path) })), livePollMs: 60_000, idlePollMs: 60_000 });
      await registry.refresh();
      writeFileSync(file, row(1) + row(2));
      const grown = new Promise<number>((resolve) => registry.onDidChange((change) => resolve(change.polled.get(path.join(dir, 'runs', 'a'))?.grown[0]?.from ?? -1)));
      registry.fileChanged(file);
      assert.equal(await grown, 1, 'the new point starts at index 1');
      mkdirSync(path.join(dir, 'runs', 'b'));
      writeFileSync(path.join(dir, 'runs', 'b', 'metrics.jsonl'), row(1));
      const found = new Promise<boolean>((resolve) => registry.onDidChange((change) => change.runsChanged && resolve(true)));
      registry.fileChanged(path.join(dir, 'runs', 'b', 'metrics.jsonl'));
      assert.equal(await found, true);
      assert.equal(registry.list().length, 2);
      assert.equal(registry.get(path.join(dir, 'runs', 'b'))?.tracker.live, true, 'a run that appears while watched is live from its first line');
      assert.equal(registry.get(path.join(dir, 'runs', 'a'))?.tracker.live, true);
      registry.dispose();
    });
  });
});
