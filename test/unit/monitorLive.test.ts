/**
 * The monitor while training writes: logs are appended in odd pieces (half
 * lines, half TFRecords) while the registry polls, and what the panel is
 * handed (takeAppends) must hold every point exactly once, in order, equal
 * to reading the finished files in one go.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findRuns } from '../../src/formats/runDiscovery';
import { RunRegistry } from '../../src/monitor/runRegistry';
import { RunTracker } from '../../src/monitor/runTracker';
import type { SeriesAppend } from '../../src/protocol/monitorView';
import { realFixture } from './realFixtures';

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** What the page would hold: each series cut to `from`, then extended. Counts cuts that drop points. */
class Mirror {
  readonly series = new Map<string, { steps: number[]; values: number[] }>();
  droppedPoints = 0;

  apply(appends: SeriesAppend[]): void {
    for (const append of appends) {
      let held = this.series.get(append.key);
      if (!held) this.series.set(append.key, (held = { steps: [], values: [] }));
      assert.ok(append.from <= held.steps.length, `${append.key}: append from ${append.from} but only ${held.steps.length} held`);
      this.droppedPoints += held.steps.length - append.from;
      held.steps.length = append.from;
      held.values.length = append.from;
      held.steps.push(...append.steps);
      held.values.push(...append.values);
    }
  }

  count(): number {
    let total = 0;
    for (const held of this.series.values()) total += held.steps.length;
    return total;
  }
}

async function readAtOnce(folder: string): Promise<Map<string, { steps: number[]; values: number[] }>> {
  const [run] = await findRuns(folder);
  assert.ok(run, `no run in ${folder}`);
  const tracker = new RunTracker(run);
  await tracker.poll();
  const all = new Map<string, { steps: number[]; values: number[] }>();
  for (const data of tracker.seriesData()) all.set(data.key.split('\u0000').slice(1).join('\u0000'), { steps: [...data.steps], values: [...data.values] });
  return all;
}

describe('the monitor following logs being written', function () {
  this.timeout(60_000);
  let dir: string;
  let registry: RunRegistry | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dlkit-live-'));
  });
  afterEach(() => {
    registry?.dispose();
    registry = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands every point of a JSONL run log and a TensorBoard event file to the panel once, in order', async () => {
    const next = random(7);
    const jsonlRun = path.join(dir, 'runs', 'live');
    const eventsRun = path.join(dir, 'tb', 'lstm');
    mkdirSync(jsonlRun, { recursive: true });
    mkdirSync(eventsRun, { recursive: true });
    writeFileSync(path.join(jsonlRun, 'run.json'), JSON.stringify({ name: 'live', status: 'running', started: 1000, planned_steps: 400, pid: null }));
    const fixture = realFixture('tfevents', 'lightning_lstm', 'events.out.tfevents.1716735746.99c8c45923de.3769.0');
    const eventBytes = readFileSync(fixture);
    const eventFile = path.join(eventsRun, path.basename(fixture));
    writeFileSync(eventFile, eventBytes.subarray(0, 0));

    const lines: string[] = [];
    for (let step = 1; step <= 400; step++) {
      lines.push(JSON.stringify({ step, epoch: Math.ceil(step / 100), split: 'train', time: 1000 + step, loss: 1 / step, accuracy: step / 400 }));
      if (step % 100 === 0) lines.push(JSON.stringify({ step, epoch: step / 100, split: 'val', time: 1000 + step, loss: 2 / step }));
    }
    const jsonlText = Buffer.from(lines.map((line) => `${line}\n`).join(''));

    const mirror = new Mirror();
    registry = new RunRegistry({
      discover: async () => (await findRuns(dir)).map((source) => ({ source, name: path.relative(dir, source.path) })),
      livePollMs: 15,
      idlePollMs: 15,
    });
    registry.onDidChange(() => {
      for (const run of registry!.list()) mirror.apply(run.tracker.takeAppends());
    });
    registry.start();

    // Write both files in random pieces (cutting lines and records anywhere) while the registry polls.
    let jsonlAt = 0;
    let eventsAt = 0;
    while (jsonlAt < jsonlText.length || eventsAt < eventBytes.length) {
      const jsonlPiece = Math.min(jsonlText.length - jsonlAt, 1 + Math.floor(next() * 900));
      appendFileSync(path.join(jsonlRun, 'metrics.jsonl'), jsonlText.subarray(jsonlAt, jsonlAt + jsonlPiece));
      jsonlAt += jsonlPiece;
      const eventsPiece = Math.min(eventBytes.length - eventsAt, 1 + Math.floor(next() * 40_000));
      appendFileSync(eventFile, eventBytes.subarray(eventsAt, eventsAt + eventsPiece));
      eventsAt += eventsPiece;
      if (next() < 0.5) await sleep(Math.floor(next() * 25));
    }
    writeFileSync(path.join(jsonlRun, 'run.json'), JSON.stringify({ name: 'live', status: 'finished', started: 1000, ended: 1400, planned_steps: 400, pid: null }));

    const expected = new Map([...(await readAtOnce(jsonlRun))].map(([key, points]) => [`${jsonlRun}\u0000${key}`, points]));
    for (const [key, points] of await readAtOnce(eventsRun)) expected.set(`${eventsRun}\u0000${key}`, points);
    const total = [...expected.values()].reduce((sum, points) => sum + points.steps.length, 0);
    assert.ok(total > 1500, `the logs hold ${total} points`);

    const deadline = Date.now() + 20_000;
    while (mirror.count() < total && Date.now() < deadline) await sleep(20);
    await sleep(100); // a late duplicate would show now
    assert.equal(mirror.droppedPoints, 0, 'no point was taken back');
    assert.deepEqual([...mirror.series.keys()].sort(), [...expected.keys()].sort());
    for (const [key, points] of expected) assert.deepEqual(mirror.series.get(key), points, key);
    const jsonlLoss = mirror.series.get(`${jsonlRun}\u0000loss\u0000train`);
    assert.deepEqual(jsonlLoss?.steps, Array.from({ length: 400 }, (_, i) => i + 1), 'train loss: steps 1..400 in order');
    assert.equal(registry.get(jsonlRun)?.tracker.info.status, 'finished');
  });

  it('starts a rewritten log over: the panel is told to cut the series to nothing', async () => {
    const run = path.join(dir, 'runs', 'again');
    mkdirSync(run, { recursive: true });
    const row = (step: number, loss: number) => `${JSON.stringify({ step, epoch: 1, split: 'train', time: step, loss })}\n`;
    writeFileSync(path.join(run, 'metrics.jsonl'), row(1, 5) + row(2, 4) + row(3, 3));
    const [source] = await findRuns(dir);
    const tracker = new RunTracker(source!);
    await tracker.poll();
    assert.deepEqual([...tracker.takeAppends()[0]!.values], [5, 4, 3]);
    writeFileSync(path.join(run, 'metrics.jsonl'), row(1, 9));
    await tracker.poll();
    const [append] = tracker.takeAppends();
    assert.equal(append?.from, 0);
    assert.deepEqual([...append!.values], [9]);
  });

  it('follows a resumed run: points from the resumed step on are replaced', async () => {
    const run = path.join(dir, 'runs', 'resumed');
    mkdirSync(run, { recursive: true });
    const row = (step: number, loss: number) => `${JSON.stringify({ step, epoch: 1, split: 'train', time: step, loss })}\n`;
    const file = path.join(run, 'metrics.jsonl');
    writeFileSync(file, row(1, 5) + row(2, 4) + row(3, 3) + row(4, 2));
    const [source] = await findRuns(dir);
    const tracker = new RunTracker(source!);
    await tracker.poll();
    tracker.takeAppends();
    appendFileSync(file, row(3, 3.5) + row(4, 2.5) + row(5, 1.5));
    await tracker.poll();
    const [append] = tracker.takeAppends();
    assert.equal(append?.from, 2, 'cut after step 2');
    assert.deepEqual([...append!.steps], [3, 4, 5]);
    assert.deepEqual([...append!.values], [3.5, 2.5, 1.5]);
  });
});
