/**
 * Bounded polls (`poll({ maxBytes })`) of every training-log reader
 * (src/formats/tfevents.ts, csvLog.ts, jsonlLog.ts, mlflowLog.ts, textTail.ts):
 * read in small steps until `more` is unset, a log gives the same series
 * (rewinds applied), images, texts, hyper-parameters, warnings and skipped
 * counts as one unbounded poll; each step ends at the first record or line
 * boundary at or past its limit (checked against the record and line sizes of
 * real and written files); appending, rewriting and resuming still work when
 * they land between bounded steps.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createKerasCsvReader, createLightningCsvReader } from '../../src/formats/csvLog';
import { createJsonlReader } from '../../src/formats/jsonlLog';
import type { LogReader } from '../../src/formats/logReader';
import { createMlflowReader } from '../../src/formats/mlflowLog';
import { pointsOf } from '../../src/formats/scalarColumns';
import { createTfeventsReader } from '../../src/formats/tfevents';
import type { HyperParameters, ImageRecord, LogUpdate, RunInfo, ScalarPoint, TextRecord } from '../../src/protocol/monitor';
import { realFixture } from './realFixtures';
import { PNG, PY_PROTO_FIELDS, event, f64, fileVersion, key, ld, meta, record, simple, str, varint } from './tfeventsWriter';

// ---- what a consumer gathers from a reader's updates ----

interface GatheredSeries {
  tag: string;
  metric: string;
  split: string | undefined;
  points: ScalarPoint[];
}

interface Gathered {
  series: Map<string, GatheredSeries>;
  images: ImageRecord[];
  texts: TextRecord[];
  hparams: HyperParameters | undefined;
  run: RunInfo | undefined;
  warnings: string[];
  skipped: number;
  restarts: number;
}

const gathered = (): Gathered => ({ series: new Map(), images: [], texts: [], hparams: undefined, run: undefined, warnings: [], skipped: 0, restarts: 0 });

/** Applies an update as the monitor does: a restart voids the points, rewinds drop points from a step on, then the new points. */
function apply(into: Gathered, update: LogUpdate): void {
  if (update.restarted) {
    into.series.clear();
    into.images = [];
    into.texts = [];
    into.restarts++;
  }
  for (const rewind of update.rewinds ?? []) {
    for (const s of into.series.values()) {
      if (s.tag !== rewind.tag || (rewind.split !== undefined && s.split !== rewind.split)) continue;
      s.points = s.points.filter((p) => p.step < rewind.fromStep);
    }
  }
  for (const s of update.scalars) {
    const key = `${s.tag}\u0000${s.split ?? ''}`;
    let found = into.series.get(key);
    if (found === undefined) {
      found = { tag: s.tag, metric: s.metric, split: s.split, points: [] };
      into.series.set(key, found);
    }
    found.points.push(...pointsOf(s));
  }
  into.images.push(...update.images);
  into.texts.push(...update.texts);
  if (update.hparams !== undefined) into.hparams = { ...into.hparams, ...update.hparams };
  if (update.run !== undefined) into.run = update.run;
  into.warnings.push(...update.warnings);
  into.skipped += update.skipped;
}

const pointCount = (update: LogUpdate): number => update.scalars.reduce((n, s) => n + s.steps.length, 0);

/** One unbounded poll, gathered. */
async function whole(reader: LogReader): Promise<Gathered> {
  const update = await reader.poll();
  assert.equal(update.more, undefined, 'an unbounded poll reads to the end');
  const into = gathered();
  apply(into, update);
  return into;
}

/** Bounded polls until `more` is unset: what they gathered and the points of each. */
async function drain(reader: LogReader, maxBytes: number, into = gathered()): Promise<{ gathered: Gathered; perPoll: number[] }> {
  const perPoll: number[] = [];
  for (;;) {
    const update = await reader.poll({ maxBytes });
    apply(into, update);
    perPoll.push(pointCount(update));
    if (update.more !== true) break;
    assert.ok(perPoll.length < 100_000, 'bounded polls make progress');
  }
  return { gathered: into, perPoll };
}

function assertSameGathered(got: Gathered, want: Gathered, options: { unorderedWarnings?: boolean } = {}): void {
  assert.deepEqual([...got.series.keys()].sort(), [...want.series.keys()].sort());
  for (const [key, s] of want.series) {
    const g = got.series.get(key)!;
    assert.deepEqual([g.metric, g.split], [s.metric, s.split], key);
    assert.deepEqual(g.points, s.points, key);
  }
  assert.deepEqual(got.images, want.images);
  assert.deepEqual(got.texts, want.texts);
  assert.deepEqual(got.hparams, want.hparams);
  assert.deepEqual(got.run, want.run);
  if (options.unorderedWarnings) assert.deepEqual([...got.warnings].sort(), [...want.warnings].sort());
  else assert.deepEqual(got.warnings, want.warnings);
  assert.equal(got.skipped, want.skipped);
}

/** A file's records or lines, in order: their bytes and the points each gives. */
interface Unit {
  bytes: number;
  points: number;
}

/** The points of each bounded poll: records or lines taken until the poll has read at least `maxBytes`. */
function expectedPerPoll(units: Unit[], maxBytes: number): number[] {
  const polls: number[] = [];
  let i = 0;
  while (i < units.length) {
    let bytes = 0;
    let points = 0;
    do {
      bytes += units[i]!.bytes;
      points += units[i]!.points;
      i++;
    } while (i < units.length && bytes < maxBytes);
    polls.push(points);
  }
  return polls.length === 0 ? [0] : polls;
}

/** The lines of a text file with their bytes (`\n` included) and the points `pointsOf` says each gives. */
function lineUnits(file: string, points: (line: string, index: number) => number): Unit[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'));
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => ({ bytes: Buffer.byteLength(line) + 1, points: points(line.replace(/\r$/, ''), i) }));
}

/** CSV lines: the non-empty, non-`NA` cells outside the given columns (none of the fixtures quote). */
function csvUnits(file: string, notMetrics: string[]): Unit[] {
  let header: string[] = [];
  return lineUnits(file, (line, i) => {
    const cells = line.split(',');
    if (i === 0) {
      header = cells;
      return 0;
    }
    return cells.filter((cell, c) => !notMetrics.includes(header[c]!) && cell !== '' && cell !== 'NA').length;
  });
}

/** Each record of an event file: its bytes and its simple_value points, by an independent reader in Python. */
const PY_RECORDS = PY_PROTO_FIELDS + String.raw`
data = open(sys.argv[1], 'rb').read()
out = []
i = 0
while i + 12 <= len(data):
    (n,) = struct.unpack_from('<Q', data, i)
    rec = data[i+12:i+12+n]
    points = 0
    for f, wt, v in fields(rec):
        if f == 5 and wt == 2:
            for g, _, value in fields(v):
                if g == 1: points += sum(1 for h, wt2, _ in fields(value) if h == 2 and wt2 == 5)
    out.append([12 + n + 4, points])
    i += 12 + n + 4
print(json.dumps(out))
`;

function recordUnits(file: string): Unit[] {
  const rows = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY_RECORDS, file], { encoding: 'utf8', maxBuffer: 64 << 20 })) as [number, number][];
  return rows.map(([bytes, points]) => ({ bytes, points }));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dlkit-loglimits-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('bounded polls: TensorBoard event files', function () {
  this.timeout(60_000);

  it('the real Lightning event file (733 KB) in steps of 1 KB, 37 bytes and 64 KB + 3: what one poll gives, each step ending at the first record past its limit', async () => {
    const file = realFixture('tfevents', 'lightning_lstm', 'events.out.tfevents.1716735746.99c8c45923de.3769.0');
    const units = recordUnits(file);
    assert.equal(
      units.reduce((n, u) => n + u.bytes, 0),
      readFileSync(file).length,
    );
    const want = await whole(createTfeventsReader(file));
    assert.equal(want.series.get('train_loss\u0000train')!.points.length, 7691);
    assert.deepEqual(want.hparams, { hidden_units: 512, lr: 0.001, num_chars: 29, num_layers: 2, seq_length: 100 });
    for (const maxBytes of [1024, 37, 65539]) {
      const reader = createTfeventsReader(file);
      const { gathered: got, perPoll } = await drain(reader, maxBytes);
      assertSameGathered(got, want);
      assert.deepEqual(perPoll, expectedPerPoll(units, maxBytes), `points per poll of ${maxBytes} bytes`);
      assert.deepEqual(await reader.poll({ maxBytes }), { scalars: [], images: [], texts: [], skipped: 0, warnings: [] });
    }
  });

  it('damaged records, a damaged header in a run of garbage, images, text and hparams: the same at every limit, the garbage read in bounded steps', async () => {
    const file = path.join(dir, 'events.out.tfevents.1.host');
    const damaged = record(event(3, 3, [simple('loss', 3)]));
    damaged[20] = damaged[20]! ^ 0xff;
    const garbage = Buffer.alloc(3000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131 + 7) & 0xff;
    const hparams = Buffer.concat([key(1, 0), varint(0), ld(3, ld(1, str(1, 'lr'), ld(2, f64(2, 0.001))))]);
    const parts = [
      record(fileVersion()),
      record(event(0, 1, [Buffer.concat([str(1, '_hparams_/session_start_info'), meta('hparams', hparams)])])),
      ...Array.from({ length: 40 }, (_, i) => record(event(i + 1, 1 + i, [simple('loss', i / 4), simple('val_loss', -i)]))),
      damaged,
      record(event(50, 50, [Buffer.concat([str(1, 'img'), ld(4, key(1, 0), varint(1), key(2, 0), varint(1), key(3, 0), varint(4), str(4, PNG))])])),
      record(event(51, 51, [Buffer.concat([str(1, 'notes'), meta('text'), ld(8, key(1, 0), varint(7), ld(2), str(8, 'a note'))])])),
      garbage,
      ...Array.from({ length: 40 }, (_, i) => record(event(60 + i, 60 + i, [simple('loss', i)]))),
    ];
    writeFileSync(file, Buffer.concat(parts));
    const want = await whole(createTfeventsReader(file));
    assert.equal(want.skipped, 2);
    assert.equal(want.warnings.length, 1);
    assert.equal(want.images.length, 1);
    assert.deepEqual(want.texts, [{ tag: 'notes', step: 51, text: 'a note' }]);
    assert.deepEqual(want.hparams, { lr: 0.001 });
    assert.equal(want.series.get('loss\u0000')!.points.length, 80);
    for (const maxBytes of [0, 1, 37, 100, 1000]) {
      const { gathered: got, perPoll } = await drain(createTfeventsReader(file), maxBytes);
      assertSameGathered(got, want);
      // Resynchronising consumes the garbage a byte at a time: it stops at the limit like records do.
      assert.ok(perPoll.length >= Math.floor(garbage.length / Math.max(1, maxBytes)), `${perPoll.length} polls of ${maxBytes} bytes`);
    }
  });

  it('appending after the end, a record left half-written by a bounded step, and a file replaced between steps', async () => {
    const file = path.join(dir, 'events.out.tfevents.2.host');
    const loss = (step: number): Buffer => record(event(step, step, [simple('loss', step)]));
    const head = record(fileVersion());
    writeFileSync(file, Buffer.concat([head, ...Array.from({ length: 30 }, (_, i) => loss(i))]));
    const reader = createTfeventsReader(file);
    const got = (await drain(reader, 100)).gathered;
    const next = Buffer.concat(Array.from({ length: 10 }, (_, i) => loss(30 + i)));
    appendFileSync(file, next.subarray(0, next.length - 9));
    const appended = await drain(reader, 100, got);
    assert.ok(appended.perPoll.length > 1);
    appendFileSync(file, next.subarray(next.length - 9));
    await drain(reader, 100, got);
    assert.deepEqual(
      got.series.get('loss\u0000')!.points.map((p) => p.step),
      Array.from({ length: 40 }, (_, i) => i),
    );
    // Replaced while a bounded read is under way: the reader starts over, the consumer drops what it had.
    const first = await reader.poll({ maxBytes: 0 });
    assert.equal(first.more, undefined, 'nothing new');
    writeFileSync(file, Buffer.concat([head, ...Array.from({ length: 30 }, (_, i) => loss(100 + i))]));
    const part = await reader.poll({ maxBytes: 200 });
    assert.equal(part.restarted, true);
    assert.equal(part.more, true);
    apply(got, part);
    writeFileSync(file, Buffer.concat([head, loss(7), loss(8)]));
    const rest = await drain(reader, 200, got);
    assert.equal(got.restarts, 2);
    assert.deepEqual(rest.perPoll, [2]);
    assertSameGathered(got, await whole(createTfeventsReader(file)));
  });
});

describe('bounded polls: CSV logs', () => {
  it('the real Lightning metrics.csv in steps of 1 KB and 37 bytes: what one poll gives, each step ending at the first line past its limit', async () => {
    const file = realFixture('csv_logs', 'lightning_csvlogger_metrics.csv');
    const units = csvUnits(file, ['step', 'epoch']);
    const want = await whole(createLightningCsvReader(file));
    assert.equal(want.series.get('train_loss_step\u0000train')!.points.length, 75);
    for (const maxBytes of [1024, 37]) {
      const reader = createLightningCsvReader(file);
      const { gathered: got, perPoll } = await drain(reader, maxBytes);
      assertSameGathered(got, want);
      assert.deepEqual(perPoll, expectedPerPoll(units, maxBytes), `points per poll of ${maxBytes} bytes`);
      assert.ok(perPoll.length > 3);
      const after = await reader.poll({ maxBytes });
      assert.equal(after.more, undefined);
      assert.equal(pointCount(after), 0);
    }
  });

  it('the real Keras BraTS log in steps of 1 KB and 37 bytes, likewise', async () => {
    const file = realFixture('csv_logs', 'keras_csvlogger_brats_training.log');
    const units = csvUnits(file, ['epoch']);
    const want = await whole(createKerasCsvReader(file));
    for (const maxBytes of [1024, 37]) {
      const { gathered: got, perPoll } = await drain(createKerasCsvReader(file), maxBytes);
      assertSameGathered(got, want);
      assert.deepEqual(perPoll, expectedPerPoll(units, maxBytes), `points per poll of ${maxBytes} bytes`);
    }
  });

  it('Keras: NA, ragged and non-numeric rows, append-mode headers, CRLF; rows appended afterwards', async () => {
    const file = path.join(dir, 'training.log');
    const rows = Array.from({ length: 20 }, (_, i) => `${i};${1 / (i + 1)};${i % 3 === 0 ? 'NA' : i / 10}`);
    writeFileSync(file, `epoch;loss;val_loss\r\n${rows.slice(0, 10).join('\r\n')}\r\n5;0.6\r\nx;1;2\r\n4;abc;nan\r\nepoch;loss;acc\r\n${rows.slice(10).join('\r\n')}\r\n`);
    const want = await whole(createKerasCsvReader(file));
    assert.equal(want.skipped, 3);
    assert.equal(want.warnings.length, 3);
    for (const maxBytes of [1, 37, 1024]) {
      const reader = createKerasCsvReader(file);
      const { gathered: got } = await drain(reader, maxBytes);
      assertSameGathered(got, want);
      appendFileSync(file, '20;0.05;0.9\r\n21;0.04');
      const more = await drain(reader, maxBytes, got);
      // A step that stops at its limit says `more` while bytes follow, even when they are only a line begun.
      assert.deepEqual(more.perPoll, maxBytes < '20;0.05;0.9\r\n'.length ? [2, 0] : [2]);
      assert.deepEqual(
        got.series.get('loss\u0000train')!.points.slice(-1),
        [{ step: 20, value: 0.05, epoch: 20 }],
      );
      truncateSync(file, readFileSync(file).length - '20;0.05;0.9\r\n21;0.04'.length);
    }
  });

  it('Lightning: a header rewritten for a new key, seen in a later bounded step, starts over with the hyper-parameters again', async () => {
    const file = path.join(dir, 'metrics.csv');
    writeFileSync(path.join(dir, 'hparams.yaml'), 'lr: 0.01\n');
    const rows = (n: number, extra: boolean): string => Array.from({ length: n }, (_, i) => `0,${i * 10 + 9},${1 / (i + 1)}${extra ? `,${i % 5 === 4 ? 2 - i / 100 : ''}` : ''}\n`).join('');
    writeFileSync(file, `epoch,step,train_loss\n${rows(40, false)}`);
    const reader = createLightningCsvReader(file);
    const got = gathered();
    for (let i = 0; i < 3; i++) {
      const update = await reader.poll({ maxBytes: 100 });
      assert.equal(update.more, true);
      apply(got, update);
    }
    assert.deepEqual(got.hparams, { lr: 0.01 });
    got.hparams = undefined;
    writeFileSync(file, `epoch,step,train_loss,val_loss\n${rows(60, true)}`);
    const rest = await drain(reader, 100, got);
    assert.equal(got.restarts, 1);
    assert.ok(rest.perPoll.length > 5);
    const want = await whole(createLightningCsvReader(file));
    assert.equal(want.series.get('val_loss\u0000val')!.points.length, 12);
    assertSameGathered(got, want);
  });
});

describe('bounded polls: JSONL logs', () => {
  const row = (step: number, split: string, loss: number, extra = ''): string => `{"step": ${step}, "epoch": 1, "split": "${split}", "time": ${step}, "loss": ${loss}${extra}}\n`;

  it('a resumed run whose earlier rows came in earlier bounded steps is rewound all the same', async () => {
    const file = path.join(dir, 'metrics.jsonl');
    let text = '';
    for (let step = 1; step <= 40; step++) text += row(step, 'train', step, step === 1 ? ', "lr": 0.1' : '') + (step % 10 === 0 ? row(step, 'val', -step) : '');
    // Resumed from the checkpoint at step 20, then again from 35.
    for (let step = 20; step <= 50; step++) text += row(step, 'train', 1000 + step);
    for (let step = 35; step <= 45; step++) text += row(step, 'train', 2000 + step) + (step === 40 ? row(30, 'val', -3000) : '');
    writeFileSync(file, text);
    const want = await whole(createJsonlReader(file));
    const train = want.series.get('loss\u0000train')!.points;
    assert.deepEqual(
      train.map((p) => p.step),
      [...Array.from({ length: 34 }, (_, i) => i + 1), ...Array.from({ length: 11 }, (_, i) => 35 + i)],
    );
    assert.equal(train.at(-1)!.value, 2045);
    assert.deepEqual(
      want.series.get('loss\u0000val')!.points.map((p) => p.step),
      [10, 20, 30],
    );
    assert.equal(want.series.get('loss\u0000val')!.points.at(-1)!.value, -3000);
    for (const maxBytes of [1, 37, 200, 1024]) {
      const reader = createJsonlReader(file);
      const got = gathered();
      /** Set when a step rewinds rows that earlier steps gave. */
      let rewindInItsOwnStep = false;
      for (let more = true; more; ) {
        const update = await reader.poll({ maxBytes });
        const rewind = update.rewinds?.find((r) => r.tag === 'loss' && r.split === 'train' && r.fromStep === 20);
        if (rewind !== undefined && got.series.get('loss\u0000train')!.points.some((p) => p.step >= 20)) rewindInItsOwnStep = true;
        apply(got, update);
        more = update.more === true;
      }
      assert.ok(rewindInItsOwnStep, `${maxBytes} bytes`);
      assertSameGathered(got, want);
    }
  });

  it('broken lines, a line over 1 MB dropped across bounded steps, an ended run’s unterminated last line', async () => {
    const file = path.join(dir, 'metrics.jsonl');
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ name: 'r', status: 'finished', config: { lr: 0.1 } }));
    writeFileSync(
      file,
      `${row(1, 'train', 1)}{"step": 2,\n[1, 2]\n${row(3, 'train', 3)}{"step": 4, "split": "train", "pad": "${'x'.repeat(3 << 20)}"}\n${row(5, 'train', 5)}${row(6, 'val', 6).trimEnd()}`,
    );
    const want = await whole(createJsonlReader(file));
    assert.equal(want.skipped, 3);
    assert.equal(want.warnings.length, 2);
    assert.deepEqual(
      want.series.get('loss\u0000train')!.points.map((p) => p.step),
      [1, 3, 5],
    );
    assert.equal(want.series.get('loss\u0000val')!.points.length, 1);
    assert.deepEqual(want.run, { name: 'r', status: 'finished' });
    for (const maxBytes of [37, 64 * 1024]) {
      const { gathered: got, perPoll } = await drain(createJsonlReader(file), maxBytes);
      assertSameGathered(got, want);
      // Past the first 1 MB (held to find its end) the dropped line is read in bounded steps too.
      if (maxBytes === 64 * 1024) assert.ok(perPoll.length >= 32, `${perPoll.length} polls`);
    }
  });

  it('a JSONL of numbers: each step ends at the first line past its limit; appending after the end', async () => {
    const file = path.join(dir, 'log.jsonl');
    const line = (i: number): string => `{"global_step": ${i * 7}, "loss": ${1 / (i + 1)}${i % 4 === 0 ? `, "val_loss": ${i}` : ''}}\n`;
    writeFileSync(file, Array.from({ length: 200 }, (_, i) => line(i)).join(''));
    const units = lineUnits(file, (_text, i) => (i % 4 === 0 ? 2 : 1));
    const want = await whole(createJsonlReader(file));
    for (const maxBytes of [1, 37, 1024]) {
      const reader = createJsonlReader(file);
      const { gathered: got, perPoll } = await drain(reader, maxBytes);
      assertSameGathered(got, want);
      assert.deepEqual(perPoll, expectedPerPoll(units, maxBytes));
      appendFileSync(file, line(200) + line(201));
      assert.deepEqual((await drain(reader, maxBytes, got)).perPoll, maxBytes === 1024 ? [3] : [2, 1]);
      truncateSync(file, units.reduce((n, u) => n + u.bytes, 0));
    }
  });
});

describe('bounded polls: MLflow runs', () => {
  /** A metric line of fixed width for values in [0, 1]: 28 bytes. */
  const metricLine = (step: number, value: number): string => `17000000${String(step).padStart(5, '0')} ${value.toFixed(6)} ${String(step).padStart(4, '0')}\n`;
  const LINE = 28;

  function mlflowRun(files: Record<string, number>): string {
    const run = path.join(dir, 'mlruns', '0', 'abc');
    for (const [name, count] of Object.entries(files)) {
      const file = path.join(run, 'metrics', ...name.split('/'));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, Array.from({ length: count }, (_, i) => metricLine(i, ((i * 37 + count) % 1000) / 1000)).join(''));
    }
    mkdirSync(path.join(run, 'params'), { recursive: true });
    writeFileSync(path.join(run, 'params', 'lr'), '0.001');
    return run;
  }

  it('counts the bytes across metric files: each step reads its limit rounded up to whole lines; the same as one poll', async () => {
    assert.equal(metricLine(1, 0.5).length, LINE);
    const run = mlflowRun({ loss: 50, 'train/loss': 7, val_acc: 1, lr: 23 });
    const want = await whole(createMlflowReader(run));
    assert.equal(
      [...want.series.values()].reduce((n, s) => n + s.points.length, 0),
      81,
    );
    for (const maxBytes of [1, 37, 28, 500]) {
      const reader = createMlflowReader(run);
      const { gathered: got, perPoll } = await drain(reader, maxBytes);
      assertSameGathered(got, want);
      const each = Math.ceil(Math.max(1, maxBytes) / LINE);
      assert.deepEqual(perPoll.slice(0, -1), new Array<number>(perPoll.length - 1).fill(each), `${maxBytes} bytes`);
      assert.ok(perPoll.at(-1)! <= each && perPoll.at(-1)! > 0);
      appendFileSync(path.join(run, 'metrics', 'val_acc'), metricLine(1, 0.5));
      assert.deepEqual((await drain(reader, maxBytes)).perPoll, [1]);
      truncateSync(path.join(run, 'metrics', 'val_acc'), LINE);
    }
  });

  it('broken and oversized lines, warnings once per file: the same as one poll', async () => {
    const run = mlflowRun({ a: 20, b: 5, 'c/d': 30 });
    appendFileSync(path.join(run, 'metrics', 'a'), 'broken\n');
    appendFileSync(path.join(run, 'metrics', 'b'), `${'9'.repeat((1 << 20) + 5)}\n${metricLine(99, 1)}`);
    appendFileSync(path.join(run, 'metrics', 'c', 'd'), 'x y z\n');
    const want = await whole(createMlflowReader(run));
    assert.equal(want.skipped, 3);
    assert.equal(want.warnings.length, 3);
    for (const maxBytes of [37, 4096]) assertSameGathered((await drain(createMlflowReader(run), maxBytes)).gathered, want, { unorderedWarnings: true });
  });

  it('a metric file that keeps growing past the limit does not starve the others', async () => {
    const run = mlflowRun({ a: 100, b: 3, c: 3 });
    const reader = createMlflowReader(run);
    const got = gathered();
    for (let i = 0; i < 3; i++) {
      const update = await reader.poll({ maxBytes: 10 * LINE });
      assert.equal(update.more, true);
      apply(got, update);
      appendFileSync(path.join(run, 'metrics', 'a'), Array.from({ length: 20 }, (_, k) => metricLine(100 + i * 20 + k, 0)).join(''));
    }
    assert.equal(got.series.get('b\u0000')?.points.length, 3);
    assert.equal(got.series.get('c\u0000')?.points.length, 3);
  });

  it('a metric file rewritten between bounded steps starts the run over', async () => {
    const run = mlflowRun({ a: 30, b: 30 });
    const reader = createMlflowReader(run);
    const got = gathered();
    const first = await reader.poll({ maxBytes: 200 });
    assert.equal(first.more, true);
    apply(got, first);
    writeFileSync(path.join(run, 'metrics', 'a'), metricLine(0, 5));
    await drain(reader, 200, got);
    assert.equal(got.restarts, 1);
    assertSameGathered(got, await whole(createMlflowReader(run)));
  });
});
