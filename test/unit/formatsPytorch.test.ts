/**
 * src/formats/pytorch.ts against the real PyTorch fixtures and against files
 * Debian's torch writes in this test (zip and legacy state_dicts, a
 * checkpoint, whole-model pickles, TorchScript, tied weights, strided views,
 * every common dtype), with names, shapes, dtypes and values compared to what
 * torch.load reads. Then damaged and hostile files: each a FormatError
 * naming the file, and nothing a file names ever runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FormatError } from '../../src/formats/errors';
import { parsePytorch, pickledModuleClasses } from '../../src/formats/pytorch';
import type { ParsedModel } from '../../src/formats/types';
import { realFixture } from './realFixtures';

interface ExpectedTensor {
  path: string;
  shape: number[];
  dtype: string;
  values: number[];
}

type Expected = Record<string, ExpectedTensor[]>;

/** Writes the test files with torch and records what torch.load reads back from them (and from the real fixtures). */
const GENERATOR = String.raw`
import io, json, os, sys, zipfile, pickle
import torch

out, marker, real = sys.argv[1], sys.argv[2], sys.argv[3:]
torch.manual_seed(0)

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
        self.fc = torch.nn.Linear(4, 2)
    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))

net = Net()
net.features[1].running_mean.uniform_()
sd = net.state_dict()
torch.save(sd, os.path.join(out, 'zip_sd.pt'))
torch.save(sd, os.path.join(out, 'legacy_sd.pt'), _use_new_zipfile_serialization=False)
torch.save(net, os.path.join(out, 'whole.pt'))
torch.save(net, os.path.join(out, 'whole_legacy.pt'), _use_new_zipfile_serialization=False)
torch.jit.save(torch.jit.script(net), os.path.join(out, 'script.pt'))

opt = torch.optim.Adam(net.parameters(), lr=0.003)
net(torch.randn(2, 3, 5, 5)).sum().backward()
opt.step()
torch.save({'epoch': 7, 'model_state_dict': net.state_dict(), 'optimizer_state_dict': opt.state_dict(), 'loss': 0.25, 'note': 'best'},
           os.path.join(out, 'checkpoint.pt'))

base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
shared = torch.randn(3, 2)
torch.save({'enc.weight': shared, 'dec.weight': shared, 'view': base[1:, ::2], 'transposed': base.t(), 'base': base},
           os.path.join(out, 'views.pt'))
torch.save({'enc.weight': shared, 'view': base[1:, ::2], 'base': base}, os.path.join(out, 'views_legacy.pt'),
           _use_new_zipfile_serialization=False)

dtypes = {
    'half': torch.tensor([1.5, -2.25, 65504.0], dtype=torch.float16),
    'bf16': torch.tensor([1.0, -3.5, 0.15625], dtype=torch.bfloat16),
    'f64': torch.tensor([1e-3, 2.5], dtype=torch.float64),
    'i64': torch.tensor([-5, 7, 123456789], dtype=torch.int64),
    'i32': torch.tensor([-1, 2], dtype=torch.int32),
    'i8': torch.tensor([-128, 127], dtype=torch.int8),
    'u8': torch.tensor([0, 255], dtype=torch.uint8),
    'flags': torch.tensor([True, False, True]),
}
torch.save(dtypes, os.path.join(out, 'dtypes.pt'))

class Boom:
    def __reduce__(self):
        return (os.system, ('touch ' + marker,))
torch.save({'fc.weight': torch.ones(2), 'payload': Boom()}, os.path.join(out, 'hostile.pt'))

# Hand-made archives: a pickle that names a storage the way torch does, with chosen sizes.
class Storage:
    def __init__(self, numel): self.numel = numel
class Tensor:
    def __init__(self, storage, offset, size, stride): self.args = (storage, offset, size, stride, False, {})
    def __reduce__(self): return (torch._utils._rebuild_tensor_v2, self.args)
class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return ('storage', torch.FloatStorage, '0', 'cpu', obj.numel) if isinstance(obj, Storage) else None
def crafted(name, obj, storage_bytes):
    buffer = io.BytesIO()
    TorchPickler(buffer, protocol=2).dump(obj)
    with zipfile.ZipFile(os.path.join(out, name), 'w') as archive:
        archive.writestr('crafted/data.pkl', buffer.getvalue())
        archive.writestr('crafted/version', '3\n')
        if storage_bytes is not None:
            archive.writestr('crafted/data/0', bytes(storage_bytes))
crafted('past_storage.pt', {'w': Tensor(Storage(4), 2, (4,), (1,))}, 16)
crafted('huge_numel.pt', {'w': Tensor(Storage(10**12), 0, (4,), (1,))}, 16)
crafted('no_storage.pt', {'w': Tensor(Storage(4), 0, (4,), (1,))}, None)
crafted('broadcast.pt', {'w': Tensor(Storage(4), 0, (10**6, 10**6), (0, 0))}, 16)

expected = {}
def record(name, obj):
    rows = []
    for key, value in obj.items():
        if isinstance(value, torch.Tensor):
            flat = value.detach().reshape(-1)
            flat = flat.float() if flat.is_floating_point() else flat.long() if value.dtype != torch.bool else flat.long()
            rows.append({'path': key, 'shape': list(value.shape), 'dtype': str(value.dtype).replace('torch.', ''), 'values': flat.tolist()})
    expected[name] = rows
for name in ['zip_sd.pt', 'legacy_sd.pt', 'dtypes.pt', 'views.pt', 'views_legacy.pt']:
    record(name, torch.load(os.path.join(out, name)))
record('checkpoint.pt', torch.load(os.path.join(out, 'checkpoint.pt'))['model_state_dict'])
record('whole.pt', torch.load(os.path.join(out, 'whole.pt')).state_dict())
record('script.pt', torch.jit.load(os.path.join(out, 'script.pt')).state_dict())
for file in real:
    loaded = torch.load(file, map_location='cpu')
    record(os.path.basename(file), loaded['state_dict'] if 'state_dict' in loaded else loaded)
json.dump(expected, open(os.path.join(out, 'expected.json'), 'w'))
`;

const REAL = ['legacy_state_dict_dqn.pth', 'zip_state_dict_cifar_cuda.pth', 'lightning_checkpoint.ckpt'];

let dir = '';
let expected: Expected = {};
const opened: ParsedModel[] = [];

function file(name: string): string {
  return path.join(dir, name);
}

async function parse(name: string): Promise<ParsedModel> {
  const parsed = await parsePytorch(name.startsWith('/') ? name : file(name));
  opened.push(parsed);
  return parsed;
}

/** The parse must fail with a FormatError whose message starts with the file's name and matches `problem`. */
async function rejects(target: string, problem: RegExp): Promise<void> {
  await assert.rejects(parsePytorch(target), (error: unknown) => {
    assert.ok(error instanceof FormatError, `not a FormatError: ${String(error)}`);
    assert.ok(error.message.startsWith(`${path.basename(target)}: `), error.message);
    assert.match(error.message, problem);
    return true;
  });
}

function near(actual: ArrayLike<number>, wanted: number[], what: string): void {
  assert.equal(actual.length, wanted.length, `${what}: element count`);
  for (let i = 0; i < wanted.length; i++) {
    const want = wanted[i] as number;
    const got = actual[i] as number;
    assert.ok(Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)), `${what}[${i}]: ${got} != ${want}`);
  }
}

/** Every tensor torch.load reads is there with the same shape and dtype, and the same values. */
async function matchesTorch(parsed: ParsedModel, key: string): Promise<void> {
  const rows = expected[key];
  assert.ok(rows && rows.length > 0, `no expectations for ${key}`);
  assert.deepEqual(
    parsed.weights.map((weight) => weight.path).sort(),
    rows.map((row) => row.path).sort(),
  );
  for (const row of rows) {
    const weight = parsed.weights.find((candidate) => candidate.path === row.path);
    assert.ok(weight);
    assert.deepEqual(weight.shape, row.shape, row.path);
    assert.equal(weight.dtype, row.dtype, row.path);
    near(await parsed.readTensor(row.path), row.values, `${key} ${row.path}`);
  }
}

describe('PyTorch files', function () {
  this.timeout(120_000);

  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'dlkit-pytorch-'));
    writeFileSync(file('gen.py'), GENERATOR);
    const result = spawnSync(
      '/usr/bin/python3',
      [file('gen.py'), dir, file('MARKER'), ...REAL.map((name) => realFixture('pytorch', name))],
      { encoding: 'utf8', timeout: 110_000 },
    );
    assert.equal(result.status, 0, result.stderr);
    expected = JSON.parse(readFileSync(file('expected.json'), 'utf8')) as Expected;
  });

  after(() => {
    for (const parsed of opened) parsed.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('real files', () => {
    it('reads the legacy DQN state_dict (torch 0.4)', async () => {
      const parsed = await parse(realFixture('pytorch', 'legacy_state_dict_dqn.pth'));
      assert.equal(parsed.format, 'pytorch');
      assert.equal(parsed.framework, 'pytorch');
      assert.equal(parsed.formatLabel, 'PyTorch state_dict');
      assert.equal(parsed.producer, 'PyTorch legacy format (protocol 1001)');
      assert.deepEqual(
        parsed.weights.map((weight) => `${weight.path} ${weight.layer} ${weight.name} [${weight.shape.join(',')}]`),
        ['fc1.weight fc1 weight [64,8]', 'fc1.bias fc1 bias [64]', 'fc2.weight fc2 weight [64,64]', 'fc2.bias fc2 bias [64]', 'fc3.weight fc3 weight [4,64]', 'fc3.bias fc3 bias [4]'],
      );
      assert.ok(parsed.weights.every((weight) => weight.device === 'cpu' && weight.dtype === 'float32'));
      assert.equal(parsed.weights[0]?.bytes, 64 * 8 * 4);
      await matchesTorch(parsed, 'legacy_state_dict_dqn.pth');
    });

    it('reads the zip CIFAR net saved from cuda:0, under its own folder name', async () => {
      const parsed = await parse(realFixture('pytorch', 'zip_state_dict_cifar_cuda.pth'));
      assert.equal(parsed.producer, 'PyTorch (zip format, version 3)');
      assert.equal(parsed.formatLabel, 'PyTorch state_dict');
      assert.deepEqual(
        parsed.weights.map((weight) => weight.path),
        ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias'],
      );
      assert.ok(parsed.weights.every((weight) => weight.device === 'cuda:0'));
      assert.deepEqual(parsed.weights.find((weight) => weight.path === 'fc1.weight')?.shape, [120, 400]);
      assert.deepEqual(
        parsed.weights.map((weight) => weight.storage),
        ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      );
      await matchesTorch(parsed, 'zip_state_dict_cifar_cuda.pth');
    });

    it('reads the Lightning checkpoint: its state_dict as weights, the rest as facts', async () => {
      const parsed = await parse(realFixture('pytorch', 'lightning_checkpoint.ckpt'));
      assert.equal(parsed.formatLabel, 'PyTorch Lightning checkpoint');
      assert.equal(parsed.producer, 'PyTorch Lightning 2.2.0.post0');
      assert.deepEqual(
        parsed.weights.map((weight) => `${weight.path} [${weight.shape.join(',')}]`),
        ['l1.weight [30,784]', 'l1.bias [30]', 'l2.weight [10,30]', 'l2.bias [10]'],
      );
      const facts = new Map((parsed.facts ?? []).map((fact) => [fact.label, fact.value]));
      assert.equal(facts.get('epoch'), '9');
      assert.equal(facts.get('global_step'), '40');
      assert.equal(facts.get('pytorch-lightning_version'), '2.2.0.post0');
      // Adam: step, exp_avg, exp_avg_sq for each of the 4 parameters.
      assert.equal(facts.get('optimizer_states'), `optimizer state: 12 tensors, ${4 + 2 * (30 * 784 + 30 + 10 * 30 + 10)} values; lr 0.02`);
      assert.equal(facts.get('lr_schedulers'), 'none');
      assert.match(facts.get('callbacks') ?? '', /ModelCheckpoint/);
      assert.match(facts.get('loops') ?? '', /fit_loop, validate_loop, test_loop, predict_loop/);
      assert.equal(facts.has('state_dict'), false);
      await matchesTorch(parsed, 'lightning_checkpoint.ckpt');
    });
  });

  describe('files torch writes here', () => {
    it('reads zip and legacy state_dicts alike, with buffers marked not trainable', async () => {
      for (const name of ['zip_sd.pt', 'legacy_sd.pt']) {
        const parsed = await parse(name);
        assert.equal(parsed.formatLabel, 'PyTorch state_dict');
        await matchesTorch(parsed, name);
        const trainable = Object.fromEntries(parsed.weights.map((weight) => [weight.path, weight.trainable]));
        assert.equal(trainable['features.0.weight'], true);
        assert.equal(trainable['features.1.running_mean'], false);
        assert.equal(trainable['features.1.num_batches_tracked'], false);
        const counter = parsed.weights.find((weight) => weight.path === 'features.1.num_batches_tracked');
        assert.deepEqual([counter?.dtype, counter?.shape, counter?.bytes], ['int64', [], 8]);
        assert.equal(pickledModuleClasses(parsed), undefined);
      }
      assert.equal((await parse('legacy_sd.pt')).producer, 'PyTorch legacy format (protocol 1001)');
    });

    it('picks the model out of a nested checkpoint and counts the optimizer state apart', async () => {
      const parsed = await parse('checkpoint.pt');
      assert.equal(parsed.formatLabel, 'PyTorch checkpoint');
      await matchesTorch(parsed, 'checkpoint.pt');
      const facts = new Map((parsed.facts ?? []).map((fact) => [fact.label, fact.value]));
      assert.equal(facts.get('model weights'), 'under "model_state_dict"');
      assert.equal(facts.get('epoch'), '7');
      assert.equal(facts.get('loss'), '0.25');
      assert.equal(facts.get('note'), 'best');
      // Adam after one step: step, exp_avg, exp_avg_sq for each of the 6 parameters (108 + 4 + 4 + 4 + 8 + 2 values).
      assert.equal(facts.get('optimizer_state_dict'), `optimizer state: 18 tensors, ${6 + 2 * (108 + 4 + 4 + 4 + 8 + 2)} values; lr 0.003`);
    });

    it('reads a whole-model pickle of a __main__ class without running it (zip and legacy)', async () => {
      for (const name of ['whole.pt', 'whole_legacy.pt']) {
        const parsed = await parse(name);
        assert.equal(parsed.formatLabel, 'PyTorch whole-model pickle');
        await matchesTorch(parsed, 'whole.pt');
        assert.deepEqual(
          [...(pickledModuleClasses(parsed) ?? [])],
          [['', 'Net'], ['features', 'Sequential'], ['features.0', 'Conv2d'], ['features.1', 'BatchNorm2d'], ['fc', 'Linear']],
        );
        assert.ok(parsed.referencedGlobals?.includes('__main__.Net'));
        assert.ok(parsed.referencedGlobals?.includes('torch.nn.modules.conv.Conv2d'));
        assert.deepEqual(parsed.warnings, []);
        const running = parsed.weights.find((weight) => weight.path === 'features.1.running_var');
        assert.equal(running?.trainable, false);
      }
    });

    it('reads a TorchScript archive: module classes, tensors and code files', async () => {
      const parsed = await parse('script.pt');
      assert.equal(parsed.format, 'torchscript');
      assert.equal(parsed.formatLabel, 'TorchScript module');
      assert.match(parsed.producer, /^TorchScript \(zip format, version \d+\)$/);
      await matchesTorch(parsed, 'script.pt');
      const classes = pickledModuleClasses(parsed);
      assert.equal(classes?.get(''), 'Net');
      assert.equal(classes?.get('features.0'), 'Conv2d');
      assert.equal(classes?.get('fc'), 'Linear');
      assert.ok(parsed.codeFiles?.includes('code/__torch__/torch/nn/modules/conv.py'), String(parsed.codeFiles));
      assert.ok(parsed.codeFiles?.every((name) => name.startsWith('code/') && name.endsWith('.py')));
    });

    it('reads tied weights as one storage, and views by their offset and strides', async () => {
      for (const name of ['views.pt', 'views_legacy.pt']) {
        const parsed = await parse(name);
        await matchesTorch(parsed, name);
        const byPath = new Map(parsed.weights.map((weight) => [weight.path, weight]));
        assert.equal(byPath.get('view')?.storage, byPath.get('base')?.storage, `${name}: a view shares its base's storage`);
        assert.deepEqual(byPath.get('view')?.shape, [3, 3]);
        assert.equal(byPath.get('view')?.bytes, 9 * 4);
      }
      const parsed = await parse('views.pt');
      const storages = new Map(parsed.weights.map((weight) => [weight.path, weight.storage]));
      assert.equal(storages.get('enc.weight'), storages.get('dec.weight'));
      assert.notEqual(storages.get('enc.weight'), storages.get('base'));
      assert.deepEqual(Array.from(await parsed.readTensor('transposed')).slice(0, 5), [0, 6, 12, 18, 1]);
    });

    it('reads float16, bfloat16, float64, int64, int32, int8, uint8 and bool tensors', async () => {
      const parsed = await parse('dtypes.pt');
      await matchesTorch(parsed, 'dtypes.pt');
      const dtypes = Object.fromEntries(parsed.weights.map((weight) => [weight.path, `${weight.dtype}/${weight.bytes}`]));
      assert.deepEqual(dtypes, {
        half: 'float16/6',
        bf16: 'bfloat16/6',
        f64: 'float64/16',
        i64: 'int64/24',
        i32: 'int32/8',
        i8: 'int8/2',
        u8: 'uint8/2',
        flags: 'bool/3',
      });
      assert.ok((await parsed.readTensor('flags')) instanceof Uint8Array);
      assert.ok((await parsed.readTensor('i64')) instanceof Int32Array);
      assert.ok((await parsed.readTensor('bf16')) instanceof Float32Array);
    });

    it('refuses to read a tensor the file does not have', async () => {
      const parsed = await parse('zip_sd.pt');
      await assert.rejects(parsed.readTensor('nope.weight'), /zip_sd\.pt: no tensor nope\.weight/);
    });
  });

  describe('hostile and damaged files', () => {
    it('records os.system from GLOBAL + REDUCE and never runs it', async () => {
      const parsed = await parse('hostile.pt');
      assert.equal(existsSync(file('MARKER')), false);
      assert.ok(parsed.referencedGlobals?.includes('posix.system'), String(parsed.referencedGlobals));
      assert.ok(parsed.warnings.some((warning) => warning.includes('posix.system') && warning.includes('never run')));
      assert.deepEqual(parsed.weights.map((weight) => weight.path), ['fc.weight']);
      assert.match(new Map((parsed.facts ?? []).map((fact) => [fact.label, fact.value])).get('payload') ?? '', /posix\.system object/);
      assert.equal(existsSync(file('MARKER')), false);
    });

    it('refuses a tensor that reaches past its storage', async () => {
      await rejects(file('past_storage.pt'), /tensor w \(offset 2, size \[4\], stride \[1\]\) reaches past the end of its storage 0 \(4 elements\)/);
    });

    it('refuses a storage that declares more elements than it holds', async () => {
      await rejects(file('huge_numel.pt'), /storage 0 declares 1000000000000 float32 elements .* but holds 16 bytes/);
    });

    it('refuses a storage the archive does not have', async () => {
      await rejects(file('no_storage.pt'), /storage 0 is referenced but not in the file/);
    });

    it('lists a broadcast view of 10^12 elements but will not read it', async () => {
      const parsed = await parse('broadcast.pt');
      assert.deepEqual(parsed.weights[0]?.shape, [1e6, 1e6]);
      await assert.rejects(parsed.readTensor('w'), /broadcast\.pt: tensor w has 1000000000000 elements, more than a/);
    });

    it('refuses truncated zip and legacy files', async () => {
      for (const [name, problem] of [
        ['zip_sd.pt', /truncated|not a zip|end-of-central-directory/],
        ['legacy_sd.pt', /truncated|ends before/],
      ] as const) {
        const bytes = readFileSync(file(name));
        const cut = file(`cut_${name}`);
        writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
        await rejects(cut, problem);
        writeFileSync(cut, bytes.subarray(0, 40));
        await rejects(cut, /./);
      }
    });

    it('refuses a legacy storage whose element count reaches far beyond the file', async () => {
      const bytes = Buffer.from(readFileSync(file('legacy_sd.pt')));
      // The first storage's count sits just before its bytes; the storages end the file.
      const parsed = await parse('legacy_sd.pt');
      const total = parsed.weights.reduce((sum, weight) => sum + weight.bytes, 0);
      const countsAndData = total + 8 * parsed.weights.length;
      bytes.writeBigInt64LE(1n << 50n, bytes.length - countsAndData);
      const target = file('huge_legacy.pt');
      writeFileSync(target, bytes);
      await rejects(target, /truncated: storage \S+ declares 1125899906842624 elements/);
    });

    it('refuses files that are not PyTorch files', async () => {
      const empty = file('empty.pt');
      writeFileSync(empty, '');
      await rejects(empty, /the file is empty/);
      const text = file('notes.pt');
      writeFileSync(text, 'hello world');
      await rejects(text, /not a PyTorch file/);
      await rejects(realFixture('keras_v3', 'k341_stock_lstm.keras'), /not a PyTorch one \(no data\.pkl\)/);
    });
  });
});
