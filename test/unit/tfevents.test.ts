/**
 * TensorBoard event files: the real ones (torch SummaryWriter, Lightning)
 * checked value for value against an independent reader in Python (stdlib
 * only, a varint walk of the Event fields), and files written here from the
 * format's description (TFRecord framing, Event/Summary/TensorProto fields):
 * TF2 tensor scalars, images, text, hparams; records split across polls,
 * damaged records, truncation and replacement, files that are not TFRecords;
 * splits from folders and tags; the hand-written hot path against odd but
 * valid field orders, long tags and thousands of tags.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { LogUpdate, ScalarSeries } from '../../src/protocol/monitor';
import { crc32c, maskedCrc32c } from '../../src/formats/crc32c';
import { pointsOf } from '../../src/formats/scalarColumns';
import { createTfeventsReader, tagSeries } from '../../src/formats/tfevents';
import { sniffImageMime } from '../../src/formats/tfeventsSummary';
import { realFixture } from './realFixtures';
import { PNG, PY_PROTO_FIELDS, event, f32, f64, fileVersion, key, ld, meta, record, records, simple, str, tensor, varint, vint } from './tfeventsWriter';

function hparamsContent(): Buffer {
  const entry = (name: string, value: Buffer): Buffer => ld(1, str(1, name), ld(2, value));
  return Buffer.concat([
    vint(1, 0),
    ld(3, entry('lr', f64(2, 0.001)), entry('optimizer', str(3, 'adam')), entry('amsgrad', vint(4, 1)), entry('none', vint(1, 0))),
  ]);
}

function series(update: LogUpdate, tag: string): ScalarSeries {
  const s = update.scalars.find((x) => x.tag === tag);
  assert.ok(s, `no series ${tag} in ${update.scalars.map((x) => x.tag).join(', ')}`);
  return s;
}

// ---- the independent reader ----

const PY_READER = PY_PROTO_FIELDS + String.raw`
out = []
data = open(sys.argv[1], 'rb').read()
i = 0
while i + 12 <= len(data):
    (n,) = struct.unpack_from('<Q', data, i); i += 12
    rec = data[i:i+n]; i += n + 4
    wall = None; step = 0; summ = None
    for f, wt, v in fields(rec):
        if f == 1 and wt == 1: wall = v.hex()
        elif f == 2 and wt == 0: step = v if v < 2**63 else v - 2**64
        elif f == 5 and wt == 2: summ = v
    if summ is None: continue
    for f, wt, v in fields(summ):
        if f != 1: continue
        tag = None; val = None
        for g, wt2, w in fields(v):
            if g == 1: tag = w.decode('utf8')
            elif g == 2 and wt2 == 5: val = struct.unpack('<I', w)[0]
        if val is not None: out.append([tag, step, wall, val])
print(json.dumps(out))
`;

interface PyPoint {
  tag: string;
  step: number;
  wall: number;
  value: number;
}

function pythonScalars(file: string): PyPoint[] {
  const text = execFileSync('/usr/bin/python3', ['-c', PY_READER, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const rows = JSON.parse(text) as [string, number, string, number][];
  const b = Buffer.alloc(8);
  return rows.map(([tag, step, wallHex, bits]) => {
    Buffer.from(wallHex, 'hex').copy(b);
    const wall = b.readDoubleLE(0);
    b.writeUInt32LE(bits, 0);
    return { tag, step, wall, value: b.readFloatLE(0) };
  });
}

function eventFile(dir: string): string {
  const name = readdirSync(dir).find((n) => n.startsWith('events.out.tfevents.'));
  assert.ok(name, `no event file in ${dir}`);
  return path.join(dir, name);
}

function assertSameAsPython(update: LogUpdate, expected: PyPoint[]): void {
  const tags = [...new Set(expected.map((p) => p.tag))];
  assert.deepEqual(update.scalars.map((s) => s.tag).sort(), [...tags].sort());
  for (const tag of tags) {
    const want = expected.filter((p) => p.tag === tag);
    const got = pointsOf(series(update, tag));
    assert.equal(got.length, want.length, tag);
    got.forEach((p, i) => {
      const w = want[i]!;
      assert.equal(p.step, w.step, `${tag}[${i}] step`);
      assert.ok(Object.is(p.value, w.value), `${tag}[${i}] value ${p.value} vs ${w.value}`);
      assert.equal(p.wallTime, w.wall, `${tag}[${i}] wall time`);
    });
  }
}

describe('CRC-32C', () => {
  it('matches the check value and a bit-by-bit reference at every length and offset', () => {
    assert.equal(crc32c('123456789'), 0xe3069283);
    assert.equal(crc32c(''), 0);
    const bitwise = (b: Uint8Array): number => {
      let c = 0xffffffff;
      for (const x of b) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    const data = Buffer.alloc(300);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
    for (let start = 0; start < 9; start++) {
      for (let end = start; end < data.length; end += 13) assert.equal(crc32c(data, start, end), bitwise(data.subarray(start, end)));
    }
  });
});

describe('tfevents: real files, against an independent Python reader', () => {
  it('strict_run_1 (torch SummaryWriter): 100 simple_value scalars of strict/foo', async () => {
    const file = eventFile(realFixture('tfevents', 'strict_run_1'));
    const expected = pythonScalars(file);
    assert.equal(expected.length, 100);
    const update = await createTfeventsReader(file).poll();
    assert.equal(update.skipped, 0);
    assert.deepEqual(update.warnings, []);
    assertSameAsPython(update, expected);
    const foo = series(update, 'strict/foo');
    assert.equal(foo.metric, 'strict/foo');
    assert.equal(foo.split, undefined);
  });

  it('lightning_lstm: train_loss, epoch, val_loss exactly, split by prefix; hparams', async () => {
    const file = eventFile(realFixture('tfevents', 'lightning_lstm'));
    const expected = pythonScalars(file);
    const reader = createTfeventsReader(file);
    const update = await reader.poll();
    assert.equal(update.skipped, 0);
    assert.deepEqual(update.warnings, []);
    assertSameAsPython(update, expected);
    assert.equal(series(update, 'train_loss').steps.length, 7691);
    assert.equal(series(update, 'epoch').steps.length, 7720);
    assert.equal(series(update, 'val_loss').steps.length, 29);
    assert.deepEqual([series(update, 'train_loss').metric, series(update, 'train_loss').split], ['loss', 'train']);
    assert.deepEqual([series(update, 'val_loss').metric, series(update, 'val_loss').split], ['loss', 'val']);
    assert.deepEqual({ ...update.hparams }, { hidden_units: 512, lr: 0.001, num_chars: 29, num_layers: 2, seq_length: 100 });
    const again = await reader.poll();
    assert.deepEqual(again, { scalars: [], images: [], texts: [], skipped: 0, warnings: [] });
  });
});

describe('tfevents: files written from the format description', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tfevents-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads TF2 tensor scalars of every dtype, images, text and hparams', async () => {
    const file = path.join(dir, 'events.out.tfevents.1.host');
    const content = (n: number, write: (b: Buffer) => void): Buffer => {
      const b = Buffer.alloc(n);
      write(b);
      return b;
    };
    const halfOne = 0x3c00; // 1.0
    const bf16 = 0x4049; // 3.140625
    writeFileSync(
      file,
      records(
        fileVersion(),
        event(1, 10.5, [Buffer.concat([str(1, 'f32'), meta('scalars'), tensor(1, str(4, content(4, (b) => b.writeFloatLE(0.25))))])]),
        event(2, 11, [Buffer.concat([str(1, 'f32'), tensor(1, str(4, content(4, (b) => b.writeFloatLE(NaN))))])]),
        event(3, 12, [Buffer.concat([str(1, 'f64'), meta('scalars'), tensor(2, f64(6, 1e300))])]),
        event(4, 13, [Buffer.concat([str(1, 'i64'), meta('scalars'), tensor(9, vint(10, -5))])]),
        event(5, 14, [Buffer.concat([str(1, 'i64c'), tensor(9, str(4, content(8, (b) => b.writeBigInt64LE(-(2n ** 40n)))))])]),
        event(6, 15, [Buffer.concat([str(1, 'i32'), tensor(3, ld(7, varint(42)))])]),
        event(7, 16, [Buffer.concat([str(1, 'half'), tensor(19, ld(13, varint(halfOne)))])]),
        event(8, 17, [Buffer.concat([str(1, 'bf16'), tensor(14, str(4, content(2, (b) => b.writeUInt16LE(bf16))))])]),
        event(9, 18, [Buffer.concat([str(1, 'packed'), tensor(1, ld(5, content(8, (b) => (b.writeFloatLE(-Infinity), b.writeFloatLE(2, 4)))))])]),
        event(10, 19, [Buffer.concat([str(1, 'vector'), tensor(1, ld(2, ld(2, vint(1, 3))), str(4, Buffer.alloc(12)))])]),
        event(11, 20, [Buffer.concat([str(1, 'img'), ld(4, vint(1, 1), vint(2, 1), vint(3, 4), str(4, PNG))])]),
        event(12, 21, [Buffer.concat([str(1, 'img2'), meta('images'), tensor(7, str(8, '1'), str(8, '1'), str(8, PNG), str(8, PNG))])]),
        event(13, 22, [Buffer.concat([str(1, 'img2'), tensor(7, str(8, '1'), str(8, '1'), str(8, PNG))])]),
        event(14, 23, [Buffer.concat([str(1, 'notes'), meta('text'), tensor(7, str(8, 'héllo **world**'))])]),
        event(0, 24, [Buffer.concat([str(1, '_hparams_/session_start_info'), meta('hparams', hparamsContent()), tensor(1)])]),
      ),
    );
    const update = await createTfeventsReader(file).poll();
    assert.deepEqual(update.warnings, []);
    assert.equal(update.skipped, 0);
    const values = (tag: string): number[] => [...series(update, tag).values];
    assert.deepEqual(pointsOf(series(update, 'f32')), [
      { step: 1, value: 0.25, wallTime: 10.5 },
      { step: 2, value: NaN, wallTime: 11 },
    ]);
    assert.deepEqual(values('f64'), [1e300]);
    assert.deepEqual(values('i64'), [-5]);
    assert.deepEqual(values('i64c'), [-(2 ** 40)]);
    assert.deepEqual(values('i32'), [42]);
    assert.deepEqual(values('half'), [1]);
    assert.deepEqual(values('bf16'), [3.140625]);
    assert.deepEqual(values('packed'), [-Infinity]);
    assert.equal(update.scalars.find((s) => s.tag === 'vector'), undefined, 'a 3-element tensor is not a scalar');
    assert.deepEqual(update.images, [
      { tag: 'img', step: 11, wallTime: 20, mime: 'image/png', width: 1, height: 1, base64: PNG.toString('base64') },
      { tag: 'img2', step: 12, wallTime: 21, mime: 'image/png', width: 1, height: 1, base64: PNG.toString('base64') },
      { tag: 'img2', step: 12, wallTime: 21, mime: 'image/png', width: 1, height: 1, base64: PNG.toString('base64') },
      { tag: 'img2', step: 13, wallTime: 22, mime: 'image/png', width: 1, height: 1, base64: PNG.toString('base64') },
    ]);
    assert.deepEqual(update.texts, [{ tag: 'notes', step: 14, text: 'héllo **world**' }]);
    assert.deepEqual({ ...update.hparams }, { lr: 0.001, optimizer: 'adam', amsgrad: true, none: null });
  });

  it('leaves a record split across polls for the next poll: each point once, in order', async () => {
    const file = path.join(dir, 'events.out.tfevents.2.host');
    const events = Array.from({ length: 5 }, (_, i) => record(event(i, 100 + i, [simple('loss', i / 2)])));
    const all = Buffer.concat([record(fileVersion()), ...events]);
    const reader = createTfeventsReader(file);
    const steps: number[] = [];
    // every cut point of the third record (header, data, footer)
    const cut0 = record(fileVersion()).length + events[0]!.length + events[1]!.length;
    writeFileSync(file, all.subarray(0, cut0 + 5));
    steps.push(...(await reader.poll()).scalars.flatMap((s) => [...s.steps]));
    for (let end = cut0 + 6; end <= all.length; end += 7) {
      appendFileSync(file, all.subarray(readFileSync(file).length, end));
      const u = await reader.poll();
      assert.equal(u.skipped, 0);
      assert.deepEqual(u.warnings, []);
      steps.push(...u.scalars.flatMap((s) => [...s.steps]));
    }
    appendFileSync(file, all.subarray(readFileSync(file).length));
    steps.push(...(await reader.poll()).scalars.flatMap((s) => [...s.steps]));
    assert.deepEqual(steps, [0, 1, 2, 3, 4]);
  });

  it('reads a record larger than the read chunk', async () => {
    const file = path.join(dir, 'events.out.tfevents.3.host');
    const big = Buffer.concat([PNG, Buffer.alloc(3 << 20, 7)]);
    writeFileSync(file, records(fileVersion(), event(1, 1, [Buffer.concat([str(1, 'big'), ld(4, str(4, big))])]), event(2, 2, [simple('x', 1)])));
    const update = await createTfeventsReader(file).poll();
    assert.equal(update.images.length, 1);
    assert.equal(Buffer.from(update.images[0]!.base64, 'base64').length, big.length);
    assert.deepEqual(values(update, 'x'), [1]);
  });

  it('a bounded poll reads a record larger than its limit whole, then stops', async () => {
    const file = path.join(dir, 'events.out.tfevents.3b.host');
    const big = Buffer.concat([PNG, Buffer.alloc(2 << 20, 7)]);
    const head = records(fileVersion(), event(1, 1, [simple('x', 1)]));
    writeFileSync(file, Buffer.concat([head, records(event(2, 2, [Buffer.concat([str(1, 'big'), ld(4, str(4, big))])]), event(3, 3, [simple('x', 3)]))]));
    const reader = createTfeventsReader(file);
    const first = await reader.poll({ maxBytes: head.length + 1 });
    assert.equal(first.images.length, 1);
    assert.equal(Buffer.from(first.images[0]!.base64, 'base64').length, big.length);
    assert.deepEqual(values(first, 'x'), [1]);
    assert.equal(first.more, true);
    const second = await reader.poll({ maxBytes: 1 });
    assert.deepEqual(values(second, 'x'), [3]);
    assert.equal(second.more, undefined);
  });

  it('skips records with a bad data CRC, warning once', async () => {
    const file = path.join(dir, 'events.out.tfevents.4.host');
    const bad = (step: number): Buffer => {
      const r = record(event(step, 1, [simple('loss', step)]));
      r[20] = r[20]! ^ 0xff;
      return r;
    };
    writeFileSync(file, Buffer.concat([record(fileVersion()), record(event(1, 1, [simple('loss', 1)])), bad(2), record(event(3, 1, [simple('loss', 3)])), bad(4)]));
    const reader = createTfeventsReader(file);
    const update = await reader.poll();
    assert.equal(update.skipped, 2);
    assert.equal(update.warnings.length, 1);
    assert.match(update.warnings[0]!, /^events\.out\.tfevents\.4\.host: /);
    assert.deepEqual(values(update, 'loss'), [1, 3]);
    appendFileSync(file, Buffer.concat([bad(5), record(event(6, 1, [simple('loss', 6)]))]));
    const next = await reader.poll();
    assert.equal(next.skipped, 1);
    assert.deepEqual(next.warnings, []);
    assert.deepEqual(values(next, 'loss'), [6]);
  });

  it('finds the next record after a bad length CRC', async () => {
    const file = path.join(dir, 'events.out.tfevents.5.host');
    const broken = record(event(2, 1, [simple('loss', 2)]));
    broken[9] = broken[9]! ^ 0x55;
    writeFileSync(file, Buffer.concat([record(fileVersion()), record(event(1, 1, [simple('loss', 1)])), broken, record(event(3, 1, [simple('loss', 3)]))]));
    const update = await createTfeventsReader(file).poll();
    assert.equal(update.skipped, 1);
    assert.equal(update.warnings.length, 1);
    assert.deepEqual(values(update, 'loss'), [1, 3]);
  });

  it('starts over when the file shrinks or is replaced', async () => {
    const file = path.join(dir, 'events.out.tfevents.6.host');
    const first = records(fileVersion(), event(1, 1, [simple('loss', 1)]), event(2, 2, [simple('loss', 2)]));
    writeFileSync(file, first);
    const reader = createTfeventsReader(file);
    assert.deepEqual(values(await reader.poll(), 'loss'), [1, 2]);
    truncateSync(file, record(fileVersion()).length + record(event(1, 1, [simple('loss', 1)])).length);
    const shrunk = await reader.poll();
    assert.equal(shrunk.restarted, true);
    assert.deepEqual(values(shrunk, 'loss'), [1]);
    // the same length, another first record, written in place
    const other = records(Buffer.concat([f64(1, 2000), str(3, 'brain.Event:2')]), event(7, 1, [simple('loss', 7)]));
    writeFileSync(file, Buffer.concat([other, record(event(8, 2, [simple('loss', 8)]))]));
    const replaced = await reader.poll();
    assert.equal(replaced.restarted, true);
    assert.deepEqual(values(replaced, 'loss'), [7, 8]);
    // another file moved over it (rotation)
    const moved = path.join(dir, 'next');
    writeFileSync(moved, Buffer.concat([other, record(event(8, 2, [simple('loss', 8)])), record(event(9, 2, [simple('loss', 9)]))]));
    renameSync(moved, file);
    const rotated = await reader.poll();
    assert.equal(rotated.restarted, true);
    assert.deepEqual(values(rotated, 'loss'), [7, 8, 9]);
    const quiet = await reader.poll();
    assert.equal(quiet.restarted, undefined);
    assert.deepEqual(quiet.scalars, []);
  });

  it('warns (does not throw) about a file named like an event file that is not a TFRecord', async () => {
    const file = path.join(dir, 'events.out.tfevents.x');
    writeFileSync(file, 'this is not a TFRecord file at all, just text\n');
    const reader = createTfeventsReader(file);
    const update = await reader.poll();
    assert.equal(update.warnings.length, 1);
    assert.match(update.warnings[0]!, /^events\.out\.tfevents\.x: not a TFRecord/);
    assert.deepEqual(update.scalars, []);
    assert.deepEqual((await reader.poll()).warnings, []);
  });

  it('refuses a record longer than 64 MB with a warning and stops reading the file', async () => {
    const file = path.join(dir, 'events.out.tfevents.7.host');
    const head = Buffer.alloc(12);
    head.writeBigUInt64LE(65n << 20n);
    head.writeUInt32LE(maskedCrc32c(head, 0, 8), 8);
    writeFileSync(file, Buffer.concat([records(fileVersion(), event(1, 1, [simple('loss', 1)])), head, Buffer.alloc(100)]));
    const reader = createTfeventsReader(file);
    const update = await reader.poll();
    assert.deepEqual(values(update, 'loss'), [1]);
    assert.equal(update.warnings.length, 1);
    assert.match(update.warnings[0]!, /over 67108864/);
    appendFileSync(file, record(event(2, 2, [simple('loss', 2)])));
    assert.deepEqual(await reader.poll(), { scalars: [], images: [], texts: [], skipped: 0, warnings: [] });
  });

  it('takes the split from Keras run folders and tag prefixes', async () => {
    for (const [folder, split] of [
      ['train', 'train'],
      ['validation', 'val'],
    ] as const) {
      mkdirSync(path.join(dir, folder));
      const file = path.join(dir, folder, 'events.out.tfevents.8.host.v2');
      writeFileSync(file, records(fileVersion(), event(0, 1, [Buffer.concat([str(1, 'epoch_loss'), meta('scalars'), tensor(1, str(4, Buffer.from([0, 0, 0x80, 0x3f])))])])));
      const s = series(await createTfeventsReader(file).poll(), 'epoch_loss');
      assert.deepEqual([s.metric, s.split, [...s.values]], ['loss', split, [1]]);
    }
    assert.deepEqual(tagSeries('batch_loss', 'train'), { metric: 'batch_loss', split: 'train' });
    assert.deepEqual(tagSeries('train_loss', undefined), { metric: 'loss', split: 'train' });
    assert.deepEqual(tagSeries('val_acc', undefined), { metric: 'acc', split: 'val' });
    assert.deepEqual(tagSeries('test_loss', undefined), { metric: 'loss', split: 'test' });
    assert.deepEqual(tagSeries('epoch_loss', undefined), { metric: 'loss' });
    assert.deepEqual(tagSeries('strict/foo', undefined), { metric: 'strict/foo' });
    assert.equal(sniffImageMime(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
    assert.equal(sniffImageMime(Buffer.from('GIF89a')), 'image/gif');
    assert.equal(sniffImageMime(Buffer.from('nothing')), undefined);
  });

  it('maps train/, val/, eval/ prefixes and /train, /test suffixes to splits; deeper tags stay whole', async () => {
    const file = path.join(dir, 'events.out.tfevents.9.host');
    const tags = ['train/loss', 'val/loss', 'eval/accuracy', 'Loss/train', 'Loss/test', 'Loss/train/step', 'validation_acc', 'epoch_loss'];
    writeFileSync(file, records(fileVersion(), ...tags.map((tag, i) => event(i, 1, [simple(tag, i)]))));
    const update = await createTfeventsReader(file).poll();
    assert.deepEqual(
      update.scalars.map((s) => [s.tag, s.metric, s.split, [...s.values]]),
      [
        ['train/loss', 'loss', 'train', [0]],
        ['val/loss', 'loss', 'val', [1]],
        ['eval/accuracy', 'accuracy', 'val', [2]],
        ['Loss/train', 'Loss', 'train', [3]],
        ['Loss/test', 'Loss', 'test', [4]],
        ['Loss/train/step', 'Loss/train/step', undefined, [5]],
        ['validation_acc', 'acc', 'val', [6]],
        ['epoch_loss', 'loss', undefined, [7]],
      ],
    );
    mkdirSync(path.join(dir, 'eval'));
    const evalFile = path.join(dir, 'eval', 'events.out.tfevents.9.host');
    writeFileSync(evalFile, records(fileVersion(), event(3, 1, [simple('epoch_accuracy', 0.5)])));
    const fromEval = series(await createTfeventsReader(evalFile).poll(), 'epoch_accuracy');
    assert.deepEqual([fromEval.metric, fromEval.split], ['accuracy', 'val']);
  });

  it('reads the same points whatever the field order, extra fields, tag length or step sign', async () => {
    const file = path.join(dir, 'events.out.tfevents.10.host');
    const longTag = `long/${'x'.repeat(200)}`;
    const wall = f64(1, 5.5);
    writeFileSync(
      file,
      records(
        fileVersion(),
        // summary first, then step, then wall time
        Buffer.concat([ld(5, ld(1, simple('a', 1))), vint(2, 7), wall]),
        // an unknown two-byte-key field (20) in the Event, node_name (7) in the value
        Buffer.concat([wall, vint(2, 8), vint(20, 99), ld(5, ld(1, Buffer.concat([str(1, 'a'), str(7, 'node'), f32(2, 2)])))]),
        // simple_value before the tag; a negative step (int64 -1: ten bytes)
        Buffer.concat([wall, vint(2, -1), ld(5, ld(1, Buffer.concat([f32(2, 3), str(1, 'a')])))]),
        // a tag longer than 127 bytes (two-byte length), two values in one event
        event(9, 5.5, [simple(longTag, 4), simple('a', 5)]),
        // no wall time: NaN in the column, no wallTime in the point
        Buffer.concat([vint(2, 10), ld(5, ld(1, simple('a', 6)))]),
      ),
    );
    const update = await createTfeventsReader(file).poll();
    assert.equal(update.skipped, 0);
    assert.deepEqual(pointsOf(series(update, 'a')), [
      { step: 7, value: 1, wallTime: 5.5 },
      { step: 8, value: 2, wallTime: 5.5 },
      { step: -1, value: 3, wallTime: 5.5 },
      { step: 9, value: 5, wallTime: 5.5 },
      { step: 10, value: 6 },
    ]);
    assert.deepEqual(pointsOf(series(update, longTag)), [{ step: 9, value: 4, wallTime: 5.5 }]);
  });

  it('keeps thousands of distinct tags apart, poll after poll, and one series per decoded tag', async () => {
    const file = path.join(dir, 'events.out.tfevents.11.host');
    const tags = Array.from({ length: 4200 }, (_, i) => `metric_${i}`);
    writeFileSync(file, records(fileVersion(), ...tags.map((tag, i) => event(1, 1, [simple(tag, i)]))));
    const reader = createTfeventsReader(file);
    const first = await reader.poll();
    assert.equal(first.scalars.length, 4200);
    assert.ok(first.scalars.every((s, i) => s.tag === tags[i] && s.values.length === 1 && s.values[0] === i));
    // Invalid UTF-8 bytes 0xff and 0xfe both decode to U+FFFD: the same tag, one series.
    appendFileSync(file, records(...tags.map((tag, i) => event(2, 2, [simple(tag, -i)]))));
    appendFileSync(file, records(event(3, 3, [Buffer.concat([str(1, Buffer.from([0xff])), f32(2, 1)])]), event(4, 4, [Buffer.concat([str(1, Buffer.from([0xfe])), f32(2, 2)])])));
    const second = await reader.poll();
    assert.equal(second.scalars.length, 4201);
    const byTag = new Map(second.scalars.map((s) => [s.tag, s]));
    assert.ok(tags.every((tag, i) => Object.is(byTag.get(tag)?.values[0], -i) && byTag.get(tag)?.steps[0] === 2));
    assert.deepEqual([...series(second, '\ufffd').values], [1, 2]);
  });

  it('skips a record that checks out but is not a whole Event, warning once', async () => {
    const file = path.join(dir, 'events.out.tfevents.12.host');
    const cut = Buffer.from([0x09, 1, 2, 3]);
    const runaway = Buffer.concat([vint(2, 1), key(5, 2), varint(50), ld(1, simple('loss', 1))]);
    writeFileSync(file, records(fileVersion(), cut, event(1, 1, [simple('loss', 1)]), runaway, event(2, 2, [simple('loss', 2)])));
    const update = await createTfeventsReader(file).poll();
    assert.equal(update.skipped, 2);
    assert.equal(update.warnings.length, 1);
    assert.match(update.warnings[0]!, /is not a valid Event \(truncated double\)/);
    assert.deepEqual(values(update, 'loss'), [1, 2]);
  });

  it('warns about a missing file instead of throwing', async () => {
    const update = await createTfeventsReader(path.join(dir, 'events.out.tfevents.gone')).poll();
    assert.equal(update.warnings.length, 1);
    assert.match(update.warnings[0]!, /^events\.out\.tfevents\.gone: cannot be read/);
  });
});

function values(update: LogUpdate, tag: string): number[] {
  return [...series(update, tag).values];
}
