/**
 * The tar layout of torch.save before PyTorch 0.4. Torch 1.13 still reads it
 * but no longer writes it, so the script below writes one member by member
 * the way torch.load's legacy_load reads it, proves the file valid by loading
 * it with torch.load and comparing every tensor with the original, and
 * records what it read. The parser must find the same names, shapes, dtypes
 * and values. Then damaged archives: each a FormatError naming the file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FormatError } from '../../src/formats/errors';
import { parsePytorch } from '../../src/formats/pytorch';
import type { ParsedModel } from '../../src/formats/types';

interface ExpectedTensor {
  path: string;
  shape: number[];
  dtype: string;
  values: number[];
}

const GENERATOR = String.raw`
import collections, io, json, os, pickle, struct, sys, tarfile
import torch

out, marker = sys.argv[1], sys.argv[2]
torch.manual_seed(0)

net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(4, 2))
net[1].running_mean.uniform_()
net[1].running_var.uniform_(0.5, 2.0)
net[1].num_batches_tracked.fill_(5)
sd = net.state_dict()
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
sd['extra.base'] = base
sd['extra.view'] = base[1:, ::2]

class Ref:
    def __init__(self, key): self.key = key

STORAGE_TYPES = {torch.float32: torch.FloatStorage, torch.int64: torch.LongStorage}
TENSOR_TYPES = {torch.float32: torch.FloatTensor, torch.int64: torch.LongTensor}

def save_tar(path, obj, tensors, claim_extra=0, omit=(), tail_view=True):
    """Writes obj (whose tensors are in 'tensors') in the layout legacy_load reads."""
    storages = collections.OrderedDict()   # storage key -> (dtype, raw bytes, numel)
    storage_of = {}                        # data_ptr of a storage -> its key
    tensor_keys = {}                       # id(tensor) -> key
    records = []                           # (tensor key, storage key, tensor)
    for index, tensor in enumerate(tensors):
        untyped = tensor.storage()
        ptr = untyped.data_ptr()
        if ptr not in storage_of:
            key = 1000 + len(storages)
            storage_of[ptr] = key
            raw = torch.tensor(untyped.tolist(), dtype=tensor.dtype).numpy().tobytes()
            storages[key] = (tensor.dtype, raw, untyped.size())
        tensor_keys[id(tensor)] = 5000 + index
        records.append((5000 + index, storage_of[ptr], tensor))

    views = []
    if tail_view:
        # A storage that is a view of another: elements 12..23 of base's storage, and a tensor on it.
        root = storage_of[base.storage().data_ptr()]
        views.append((9000, root, 12, 12))
        records.append((5999, 9000, None))

    main = io.BytesIO()
    class Saver(pickle.Pickler):
        def persistent_id(self, value):
            if isinstance(value, torch.Tensor):
                return str(tensor_keys[id(value)])
            return str(value.key) if isinstance(value, Ref) else None
    Saver(main, protocol=2).dump(obj)

    info = io.BytesIO()
    pickle.dump(dict(protocol_version=1000, little_endian=True, type_sizes=dict(short=2, int=4, long=4)), info, protocol=2)

    tens = io.BytesIO()
    pickle.dump(len(records), tens, protocol=2)
    for key, storage_key, tensor in records:
        if tensor is None:
            pickle.dump((key, storage_key, torch.FloatTensor), tens, protocol=2)
            sizes, strides, offset = (2, 5), (6, 1), 1
        else:
            pickle.dump((key, storage_key, TENSOR_TYPES[tensor.dtype]), tens, protocol=2)
            sizes, strides, offset = tuple(tensor.shape), tensor.stride(), tensor.storage_offset()
        tens.write(struct.pack('<i', len(sizes)) + b'\0\0\0\0')
        tens.write(struct.pack('<%dq' % len(sizes), *sizes))
        tens.write(struct.pack('<%dq' % len(strides), *strides))
        tens.write(struct.pack('<q', offset))

    stor = io.BytesIO()
    pickle.dump(len(storages), stor, protocol=2)
    for number, (key, (dtype, raw, numel)) in enumerate(storages.items()):
        pickle.dump((key, 'cpu', STORAGE_TYPES[dtype]), stor, protocol=2)
        stor.write(struct.pack('<q', numel + (claim_extra if number == 0 else 0)))
        stor.write(raw)
    pickle.dump(views, stor, protocol=2)

    with tarfile.open(path, 'w', format=tarfile.PAX_FORMAT) as tar:
        for name, data in [('sys_info', info), ('pickle', main), ('tensors', tens), ('storages', stor)]:
            if name in omit:
                continue
            member = tarfile.TarInfo(name)
            member.size = len(data.getvalue())
            tar.addfile(member, io.BytesIO(data.getvalue()))

tar_sd = os.path.join(out, 'tar_sd.pt')
save_tar(tar_sd, sd, list(sd.values()))

# The proof: torch.load reads the file back to the very tensors that were saved.
loaded = torch.load(tar_sd)
assert list(loaded.keys()) == list(sd.keys()), (list(loaded.keys()), list(sd.keys()))
for key, value in sd.items():
    got = loaded[key]
    assert got.dtype == value.dtype and got.shape == value.shape and got.stride() == value.stride(), key
    assert torch.equal(got, value), key
assert loaded['extra.view'].storage().data_ptr() == loaded['extra.base'].storage().data_ptr()

expected = {}
def record(obj):
    rows = []
    for key, value in obj.items():
        flat = value.detach().reshape(-1)
        flat = flat.float() if flat.is_floating_point() else flat.long()
        rows.append({'path': key, 'shape': list(value.shape), 'dtype': str(value.dtype).replace('torch.', ''), 'values': flat.tolist()})
    return rows
expected['tar_sd.pt'] = record(loaded)

# A tensor on a storage view (elements 12..23 of base's storage), named in the main pickle by its key.
view_file = os.path.join(out, 'tar_view.pt')
save_tar(view_file, {'base': base, 'tail': Ref(5999)}, [base])
loaded_view = torch.load(view_file)
assert torch.equal(loaded_view['tail'], torch.stack([base.reshape(-1)[13:18], base.reshape(-1)[19:24]])), loaded_view['tail']
expected['tar_view.pt'] = record(loaded_view)

# Damaged: the first storage claims more elements than its member holds; no main pickle.
save_tar(os.path.join(out, 'tar_claims.pt'), sd, list(sd.values()), claim_extra=1000)
save_tar(os.path.join(out, 'tar_nopickle.pt'), sd, list(sd.values()), omit=('pickle',))

# Hostile: the main pickle names os.system; it must be recorded, never run.
class Boom:
    def __reduce__(self):
        return (os.system, ('touch ' + marker,))
hostile = collections.OrderedDict(weight=torch.ones(2))
save_tar(os.path.join(out, 'tar_hostile.pt'), {'weight': hostile['weight'], 'payload': Boom()}, [hostile['weight']], tail_view=False)

with tarfile.open(tar_sd) as tar:
    layout = {m.name: {'header': m.offset, 'data': m.offset_data, 'size': m.size} for m in tar.getmembers()}
assert all(m['size'] % 512 for m in layout.values())
json.dump({'tensors': expected, 'layout': layout}, open(os.path.join(out, 'expected.json'), 'w'))
`;

let dir = '';
interface Generated {
  tensors: Record<string, ExpectedTensor[]>;
  /** Where tar_sd.pt's members are, as Python's tarfile reads them. */
  layout: Record<string, { header: number; data: number; size: number }>;
}

let expected: Generated['tensors'] = {};
let layout: Generated['layout'] = {};
const opened: ParsedModel[] = [];

function file(name: string): string {
  return path.join(dir, name);
}

async function parse(name: string): Promise<ParsedModel> {
  const parsed = await parsePytorch(file(name));
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

/** Every tensor torch.load read is there with the same shape, dtype and values (exactly: no arithmetic is involved). */
async function matchesTorch(parsed: ParsedModel, key: string): Promise<number> {
  const rows = expected[key];
  assert.ok(rows && rows.length > 0, `no expectations for ${key}`);
  assert.deepEqual(
    parsed.weights.map((weight) => weight.path),
    rows.map((row) => row.path),
  );
  for (const row of rows) {
    const weight = parsed.weights.find((candidate) => candidate.path === row.path);
    assert.ok(weight);
    assert.deepEqual(weight.shape, row.shape, row.path);
    assert.equal(weight.dtype, row.dtype, row.path);
    const values = await parsed.readTensor(row.path);
    assert.deepEqual(Array.from(values, Number), row.values.map((value) => (row.dtype === 'float32' ? Math.fround(value) : value)), row.path);
  }
  return rows.length;
}

describe('PyTorch tar files (before 0.4)', function () {
  this.timeout(120_000);

  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'dlkit-pytorch-tar-'));
    writeFileSync(file('gen.py'), GENERATOR);
    const result = spawnSync('/usr/bin/python3', [file('gen.py'), dir, file('MARKER')], { encoding: 'utf8', timeout: 110_000 });
    assert.equal(result.status, 0, result.stderr);
    ({ tensors: expected, layout } = JSON.parse(readFileSync(file('expected.json'), 'utf8')) as Generated);
  });

  after(() => {
    for (const parsed of opened) parsed.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads a state_dict torch.load reads: names, shapes, dtypes, values, buffers, a strided view', async () => {
    const parsed = await parse('tar_sd.pt');
    assert.equal(parsed.format, 'pytorch');
    assert.equal(parsed.formatLabel, 'PyTorch state_dict');
    assert.equal(parsed.producer, 'PyTorch tar format (before 0.4, protocol 1000)');
    assert.equal(await matchesTorch(parsed, 'tar_sd.pt'), 11);
    const byPath = new Map(parsed.weights.map((weight) => [weight.path, weight]));
    assert.deepEqual(byPath.get('0.weight')?.shape, [4, 3, 3, 3]);
    assert.equal(byPath.get('0.weight')?.trainable, true);
    assert.equal(byPath.get('1.running_var')?.trainable, false);
    assert.deepEqual([byPath.get('1.num_batches_tracked')?.dtype, byPath.get('1.num_batches_tracked')?.shape], ['int64', []]);
    assert.equal(byPath.get('extra.view')?.storage, byPath.get('extra.base')?.storage);
    assert.ok(parsed.weights.every((weight) => weight.device === 'cpu'));
    assert.deepEqual(parsed.warnings, []);
  });

  it('reads a tensor that lies on a storage view', async () => {
    const parsed = await parse('tar_view.pt');
    assert.equal(await matchesTorch(parsed, 'tar_view.pt'), 2);
  });

  it('records os.system in the main pickle and never runs it', async () => {
    const parsed = await parse('tar_hostile.pt');
    assert.deepEqual(parsed.weights.map((weight) => weight.path), ['weight']);
    assert.ok(parsed.referencedGlobals?.includes('posix.system'), String(parsed.referencedGlobals));
    assert.ok(parsed.warnings.some((warning) => warning.includes('posix.system')));
    assert.equal(existsSync(file('MARKER')), false);
  });

  it('refuses truncated archives', async () => {
    const bytes = readFileSync(file('tar_sd.pt'));
    const at = (name: string) => {
      const member = layout[name];
      assert.ok(member, name);
      return member;
    };
    assert.deepEqual(Object.keys(layout), ['sys_info', 'pickle', 'tensors', 'storages']);
    const storages = at('storages');
    const tensors = at('tensors');
    const main = at('pickle');
    for (const [length, problem] of [
      [storages.data + storages.size - 1, /truncated: tar member "storages" declares .* but the file ends/],
      [storages.data + 10, /truncated: tar member "storages" declares/],
      [Math.floor(bytes.length * 0.45), /truncated/],
      [tensors.data + Math.floor(tensors.size / 2), /truncated: tar member "tensors" declares/],
      [tensors.header + 100, /truncated: the file ends inside the tar header at byte \d+/],
      [main.data + main.size + 1, /truncated: the file ends inside the padding of tar member "pickle"/],
      [main.header, /truncated: the tar archive ends after .*, before its pickle member/],
      [300, /truncated: the file ends inside the tar header at byte 0/],
    ] as const) {
      const cut = file(`cut_${length}.pt`);
      writeFileSync(cut, bytes.subarray(0, length));
      await rejects(cut, problem);
    }
  });

  it('refuses a storage that claims more bytes than its member holds', async () => {
    await rejects(file('tar_claims.pt'), /truncated: storage 1000 declares 1108 float32 elements .* but the storages member holds only/);
  });

  it('refuses an archive without its main pickle', async () => {
    await rejects(file('tar_nopickle.pt'), /a tar archive, but not a PyTorch one \(no pickle member\)/);
  });

  it('refuses a tar header with a wrong checksum', async () => {
    const bytes = Buffer.from(readFileSync(file('tar_sd.pt')));
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    const target = file('bad_checksum.pt');
    writeFileSync(target, bytes);
    await rejects(target, /the tar header at byte 0 has a wrong checksum/);
  });
});
