/**
 * ONNX models: the two real fixtures (nodes, initializers, inputs and
 * outputs checked against Debian's python3-onnx reading the same file),
 * models the test writes with torch.onnx.export (a dynamic batch axis) and
 * with onnx's helpers (external data, subgraphs, custom domains, typed
 * fields), and damaged or hostile ones: truncated, mis-sized tensors, huge
 * dims, deep nesting, external data outside the model's folder.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseOnnx } from '../../src/formats/onnx';
import type { ParsedModel } from '../../src/formats/types';
import { realFixture } from './realFixtures';

const PYTHON = '/usr/bin/python3';
const CNN = realFixture('onnx', 'pytorch1121_cnn_mnist.onnx');
const MLTOOLS = realFixture('onnx', 'onnxmltools_keras_3layer.onnx');

/** What onnx itself reads from a model: ops, initializers (size and value sums via numpy), inputs, outputs. */
const REFERENCE_SCRIPT = `
import collections, json, sys
import numpy as np, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1], load_external_data=False)
g = m.graph
inits = []
for t in g.initializer:
    entry = {'name': t.name, 'dims': list(t.dims), 'size': int(np.prod(t.dims, dtype=np.int64))}
    if t.data_location != onnx.TensorProto.EXTERNAL:
        a = numpy_helper.to_array(t).astype(np.float64).ravel()
        entry['sum'] = float(a.sum())
        entry['head'] = [float(v) for v in a[:5]]
    inits.append(entry)
names = {t.name for t in g.initializer}
def spec(v):
    dims = [d.dim_value if d.HasField('dim_value') else None for d in v.type.tensor_type.shape.dim]
    params = [d.dim_param if d.HasField('dim_param') else None for d in v.type.tensor_type.shape.dim]
    return {'name': v.name, 'shape': dims, 'params': params}
print(json.dumps({
    'producer': (m.producer_name + ' ' + m.producer_version).strip(),
    'ir': m.ir_version,
    'opsets': [[o.domain or 'ai.onnx', o.version] for o in m.opset_import],
    'ops': collections.Counter(n.op_type for n in g.node),
    'nodes': len(g.node),
    'initializers': inits,
    'inputs': [spec(v) for v in g.input if v.name not in names],
    'outputs': [spec(v) for v in g.output],
}))
`;

/** Writes the test's own models into argv[1]. */
const WRITER_SCRIPT = `
import os, sys
import numpy as np, onnx, torch
from onnx import helper, numpy_helper, TensorProto as T
out = sys.argv[1]
torch.manual_seed(0)

# torch.onnx.export with a dynamic batch axis.
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3)
        self.fc = torch.nn.Linear(4 * 6 * 6, 3)
    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))
net = Net().eval()
torch.onnx.export(net, torch.zeros(2, 1, 8, 8), os.path.join(out, 'dynamic.onnx'), input_names=['image'], output_names=['logits'],
                  dynamic_axes={'image': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=13)
with open(os.path.join(out, 'dynamic.params'), 'w') as f:
    f.write(str(sum(p.numel() for p in net.parameters())))

def model(nodes, inits, inputs, outputs, **kw):
    graph = helper.make_graph(nodes, 'g', inputs, outputs, initializer=inits)
    return helper.make_model(graph, **kw)
x = helper.make_tensor_value_info('x', T.FLOAT, [2, 3])
y = helper.make_tensor_value_info('y', T.FLOAT, [2, 4])

# External data: a float32, a float16 and an int64 (beyond 32 bits) initializer in weights.bin.
w = np.arange(12, dtype=np.float32).reshape(3, 4) / 8
h = np.array([0.5, -2, 65504, 1e-3], dtype=np.float16)
k = np.array([1, -7, 2 ** 40], dtype=np.int64)
ext = model([helper.make_node('MatMul', ['x', 'w'], ['y'])],
            [numpy_helper.from_array(w, 'w'), numpy_helper.from_array(h, 'h'), numpy_helper.from_array(k, 'k')], [x], [y])
onnx.save_model(ext, os.path.join(out, 'external.onnx'), save_as_external_data=True, all_tensors_to_one_file=True,
                location='weights.bin', size_threshold=0)

def relocate(name, location):
    m = onnx.load(os.path.join(out, 'external.onnx'), load_external_data=False)
    for t in m.graph.initializer:
        for e in t.external_data:
            if e.key == 'location' and t.name == 'w':
                e.value = location
    onnx.save(m, os.path.join(out, name))
relocate('escape.onnx', '../../etc/passwd')
relocate('absolute.onnx', '/etc/passwd')
relocate('linked.onnx', 'link.bin')

# Typed fields (not raw_data), metadata, a custom domain and If subgraphs nested three deep.
def branch(depth):
    if depth == 0:
        return helper.make_graph([helper.make_node('Identity', ['x'], ['r'])], 'leaf', [], [helper.make_tensor_value_info('r', T.FLOAT, [2, 3])])
    cond = helper.make_node('Constant', [], ['c%d' % depth], value=helper.make_tensor('cv', T.BOOL, [], [True]))
    node = helper.make_node('If', ['c%d' % depth], ['r'], then_branch=branch(depth - 1), else_branch=branch(depth - 1))
    return helper.make_graph([cond, node], 'level%d' % depth, [], [helper.make_tensor_value_info('r', T.FLOAT, [2, 3])])
typed = model([helper.make_node('Add', ['x', 'bias'], ['s']),
               helper.make_node('Scale', ['s'], ['t'], domain='com.example', factor=2.5, tags=['a', 'b']),
               helper.make_node('Cast', ['t'], ['u'], to=T.FLOAT),
               helper.make_node('If', ['flag'], ['y'], then_branch=branch(2), else_branch=branch(0))],
              [helper.make_tensor('bias', T.FLOAT, [3], [0.25, -1.5, 3]),
               helper.make_tensor('steps', T.INT64, [2], [5, -9]),
               helper.make_tensor('half', T.FLOAT16, [2], [1.5, -0.25]),
               helper.make_tensor('brain', T.BFLOAT16, [2], [2.0, -0.5]),
               helper.make_tensor('flag', T.BOOL, [], [True])],
              [x], [helper.make_tensor_value_info('y', T.FLOAT, [2, 3])],
              producer_name='dlkit-test', producer_version='1.0', model_version=42, doc_string='A test model.\\nSecond line.',
              opset_imports=[helper.make_opsetid('', 17), helper.make_opsetid('com.example', 1)])
typed.graph.sparse_initializer.append(helper.make_sparse_tensor(
    helper.make_tensor('sparse', T.FLOAT, [2], [4.5, -1]), helper.make_tensor('sparse_idx', T.INT64, [2], [1, 7]), [3, 4]))
helper.set_model_props(typed, {'author': 'tests', 'license': 'MIT'})
onnx.save(typed, os.path.join(out, 'typed.onnx'))

# Damaged tensors, each in an otherwise valid model.
def broken(name, tensor):
    onnx.save(model([helper.make_node('Identity', ['x'], ['y'])], [tensor], [x], [y]), os.path.join(out, name))
t = T(); t.name = 'w'; t.data_type = T.FLOAT; t.dims.extend([1000]); t.raw_data = bytes(8)
broken('short_raw.onnx', t)
t = T(); t.name = 'w'; t.data_type = T.FLOAT; t.dims.extend([4]); t.float_data.extend([1, 2, 3])
broken('short_typed.onnx', t)
t = T(); t.name = 'w'; t.data_type = T.FLOAT; t.dims.extend([2 ** 60]); t.raw_data = bytes(4)
broken('huge_dims.onnx', t)
t = T(); t.name = 'w'; t.data_type = T.FLOAT; t.dims.extend([2 ** 30, 2 ** 30]); t.raw_data = bytes(4)
broken('product_overflow.onnx', t)
t = T(); t.name = 'w'; t.data_type = T.FLOAT; t.dims.extend([10 ** 9]); t.float_data.extend([1, 2])
broken('claims_many.onnx', t)

# If bodies nested 60 deep (3 messages a level): over protobuf's nesting limit.
def chain(depth):
    if depth == 0:
        return branch(0)
    node = helper.make_node('If', ['c'], ['r'], then_branch=chain(depth - 1), else_branch=branch(0))
    return helper.make_graph([node], 'level%d' % depth, [], [helper.make_tensor_value_info('r', T.FLOAT, [2, 3])])
deep = model([helper.make_node('If', ['flag'], ['y'], then_branch=chain(60), else_branch=branch(0))], [], [x], [y])
onnx.save(deep, os.path.join(out, 'deep.onnx'))
`;
import { rejectsNaming } from './formatAssertions';

interface Reference {
  producer: string;
  ir: number;
  opsets: Array<[string, number]>;
  ops: Record<string, number>;
  nodes: number;
  initializers: Array<{ name: string; dims: number[]; size: number; sum?: number; head?: number[] }>;
  inputs: Array<{ name: string; shape: Array<number | null>; params: Array<string | null> }>;
  outputs: Array<{ name: string; shape: Array<number | null>; params: Array<string | null> }>;
}

function reference(file: string): Reference {
  return JSON.parse(execFileSync(PYTHON, ['-c', REFERENCE_SCRIPT, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as Reference;
}

function opCounts(model: ParsedModel): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of model.graph?.nodes ?? []) counts[node.op] = (counts[node.op] ?? 0) + 1;
  return counts;
}

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

/** Everything onnx reads, compared with what the parser reports; values summed and sampled. */
async function matchesReference(file: string, expectedNodes: number): Promise<ParsedModel> {
  const expected = reference(file);
  const model = await parseOnnx(file);
  assert.equal(model.format, 'onnx');
  assert.equal(model.framework, 'onnx');
  assert.equal(model.producer, expected.producer);
  assert.equal(expected.nodes, expectedNodes);
  assert.equal(model.graph?.nodes.length, expectedNodes);
  assert.deepEqual(opCounts(model), expected.ops);
  assert.equal(model.onnx?.irVersion, expected.ir);
  assert.deepEqual(model.onnx?.opsets.map((opset) => [opset.domain, opset.version]), expected.opsets);
  assert.deepEqual(
    model.weights.map((weight) => [weight.path, weight.shape]),
    expected.initializers.map((init) => [init.name, init.dims]),
  );
  const total = model.weights.reduce((sum, weight) => sum + weight.shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(total, expected.initializers.reduce((sum, init) => sum + init.size, 0));
  for (const init of expected.initializers) {
    const values = await model.readTensor(init.name);
    assert.equal(values.length, init.size, init.name);
    assertClose(Array.from(values).reduce((a, b) => a + b, 0), init.sum ?? NaN, `sum of ${init.name}`);
    assert.deepEqual(Array.from(values.slice(0, 5)), init.head, init.name);
  }
  assert.deepEqual(
    model.graph?.inputs.map((input) => [input.name, input.shape]),
    expected.inputs.map((input) => [input.name, input.shape]),
  );
  assert.deepEqual(
    model.graph?.outputs.map((output) => [output.name, output.shape]),
    expected.outputs.map((output) => [output.name, output.shape]),
  );
  return model;
}

describe('formats/onnx', function () {
  let folder: string;
  let elsewhere: string;

  before(function () {
    this.timeout(120_000);
    folder = mkdtempSync(path.join(tmpdir(), 'dlkit-onnx-'));
    elsewhere = mkdtempSync(path.join(tmpdir(), 'dlkit-onnx-outside-'));
    writeFileSync(path.join(elsewhere, 'secret.bin'), Buffer.alloc(64, 7));
    symlinkSync(path.join(elsewhere, 'secret.bin'), path.join(folder, 'link.bin'));
    execFileSync(PYTHON, ['-c', WRITER_SCRIPT, folder], { stdio: ['ignore', 'ignore', 'pipe'] });
  });

  after(() => {
    rmSync(folder, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });

  const file = (name: string) => path.join(folder, name);

  describe('real files', function () {
    this.timeout(30_000);

    it('reads the pytorch 1.12.1 CNN: 16 nodes, raw-data initializers, graph inputs that are initializers dropped', async () => {
      const model = await matchesReference(CNN, 16);
      assert.equal(model.producer, 'pytorch 1.12.1');
      assert.equal(model.formatLabel, 'ONNX model (IR version 7, opset 13)');
      assert.deepEqual(model.graph?.inputs.map((input) => input.name), ['input.1']);
      const conv = model.graph?.nodes[0];
      assert.deepEqual(conv, {
        name: 'Conv_0',
        op: 'Conv',
        inputs: ['input.1', 'conv1.0.weight', 'conv1.0.bias'],
        attributes: { dilations: '[1, 1]', group: '1', kernel_shape: '[5, 5]', pads: '[2, 2, 2, 2]', strides: '[1, 1]' },
      });
      // Inputs name the producing node; Constant tensors are summarised with their values.
      assert.deepEqual(model.graph?.nodes[1]?.inputs, ['Conv_0']);
      assert.equal(model.graph?.nodes.find((node) => node.name === 'Constant_7')?.attributes.value, 'int64 [] = [-1]');
      const weight = model.weights.find((entry) => entry.path === 'conv2.0.weight');
      assert.deepEqual(weight, { path: 'conv2.0.weight', layer: 'Conv_3', name: 'weight', shape: [32, 16, 5, 5], dtype: 'float32', bytes: 51200, trainable: true });
      assert.deepEqual(model.onnx, { irVersion: 7, opsets: [{ domain: 'ai.onnx', version: 13 }], customDomains: [], externalData: [] });
      model.close();
    });

    it('reads the OnnxMLTools 3-layer model: 12 nodes, initializers in float_data', async () => {
      const model = await matchesReference(MLTOOLS, 12);
      assert.equal(model.producer, 'OnnxMLTools 1.2.2.0129');
      assert.deepEqual(model.graph?.inputs, [{ name: 'input_1_0', shape: [1, 16], dtype: 'float32' }]);
      assert.equal(model.weights.find((weight) => weight.path === 'B')?.layer, 'Add');
      assert.ok(model.facts?.some((fact) => fact.label === 'Domain' && fact.value === 'onnxml'));
      model.close();
    });
  });

  describe('files written here', function () {
    this.timeout(30_000);

    it('shows a dynamic batch axis from torch.onnx.export as a named unknown dimension', async () => {
      const model = await matchesReference(file('dynamic.onnx'), reference(file('dynamic.onnx')).nodes);
      assert.deepEqual(model.graph?.inputs, [{ name: 'image', shape: [null, 1, 8, 8], dtype: 'float32', dimNames: ['batch', null, null, null] }]);
      assert.deepEqual(model.graph?.outputs[0]?.dimNames, ['batch', null]);
      const params = model.weights.reduce((sum, weight) => sum + weight.shape.reduce((a, b) => a * b, 1), 0);
      assert.equal(params, Number(readFileSync(file('dynamic.params'), 'utf8')));
      assert.equal(model.weights.find((weight) => weight.path === 'conv.weight')?.layer, model.graph?.nodes.find((node) => node.op === 'Conv')?.name);
    });

    it('shows external data and reads its values from the model folder', async () => {
      const model = await parseOnnx(file('external.onnx'));
      assert.deepEqual(model.onnx?.externalData, [
        { tensor: 'w', location: 'weights.bin' },
        { tensor: 'h', location: 'weights.bin' },
        { tensor: 'k', location: 'weights.bin' },
      ]);
      assert.deepEqual(model.warnings, []);
      assert.equal(model.fileBytes, readFileSync(file('external.onnx')).length + readFileSync(file('weights.bin')).length);
      assert.deepEqual(Array.from(await model.readTensor('w')), Array.from({ length: 12 }, (_, i) => i / 8));
      assert.deepEqual(Array.from(await model.readTensor('h')), [0.5, -2, 65504, 0.0010004043579101562]);
      const big = await model.readTensor('k');
      assert.ok(big instanceof Float32Array, 'int64 values beyond 32 bits come as floats');
      assert.deepEqual(Array.from(big), [1, -7, 2 ** 40]);
      assert.deepEqual(
        model.weights.map((weight) => [weight.path, weight.dtype, weight.bytes, weight.trainable]),
        [
          ['w', 'float32', 48, true],
          ['h', 'float16', 8, true],
          ['k', 'int64', 24, false],
        ],
      );
    });

    for (const [name, location, problem] of [
      ['escape.onnx', '../../etc/passwd', /outside the model's folder/],
      ['absolute.onnx', '/etc/passwd', /absolute path/],
      ['linked.onnx', 'link.bin', /link to a file outside the model's folder/],
    ] as const) {
      it(`shows external data at ${location} with a problem and never reads it`, async () => {
        const model = await parseOnnx(file(name));
        const entry = model.onnx?.externalData.find((item) => item.tensor === 'w');
        assert.equal(entry?.location, location);
        assert.match(entry?.problem ?? '', problem);
        assert.ok(model.warnings.some((warning) => problem.test(warning)));
        await rejectsNaming(model.readTensor('w'), file(name), problem);
        // The others still come from weights.bin.
        assert.deepEqual(Array.from(await model.readTensor('k')), [1, -7, 2 ** 40]);
      });
    }

    it('reads typed fields, facts, custom domains, attributes and counts subgraph nodes', async () => {
      const model = await parseOnnx(file('typed.onnx'));
      assert.equal(model.producer, 'dlkit-test 1.0');
      assert.equal(model.formatLabel, 'ONNX model (IR version ' + String(model.onnx?.irVersion) + ', opset 17)');
      assert.deepEqual(model.onnx?.customDomains, ['com.example']);
      assert.deepEqual(Array.from(await model.readTensor('bias')), [0.25, -1.5, 3]);
      const steps = await model.readTensor('steps');
      assert.ok(steps instanceof Int32Array);
      assert.deepEqual(Array.from(steps), [5, -9]);
      assert.deepEqual(Array.from(await model.readTensor('half')), [1.5, -0.25]);
      assert.deepEqual(Array.from(await model.readTensor('brain')), [2, -0.5]);
      assert.deepEqual(Array.from(await model.readTensor('flag')), [1]);
      // 'flag' is an initializer: not a model input.
      assert.deepEqual(model.graph?.inputs.map((input) => input.name), ['x']);
      const scale = model.graph?.nodes.find((node) => node.op === 'Scale');
      assert.deepEqual(scale?.attributes, { factor: '2.5', tags: '[a, b]', domain: 'com.example' });
      assert.equal(model.graph?.nodes.find((node) => node.op === 'Cast')?.attributes.to, '1');
      const ifNode = model.graph?.nodes.find((node) => node.op === 'If');
      // then: branch(2) = Constant, If(branch(1), branch(1)); branch(1) = Constant, If(leaf, leaf): 2 + 2 * (2 + 2) = 10 nodes.
      assert.equal(ifNode?.attributes.then_branch, 'graph level2 (10 nodes)');
      assert.equal(ifNode?.attributes.else_branch, 'graph leaf (1 nodes)');
      const facts = Object.fromEntries((model.facts ?? []).map((fact) => [fact.label, fact.value]));
      assert.equal(facts['Model version'], '42');
      assert.equal(facts['Description'], 'A test model.');
      assert.equal(facts['author'], 'tests');
      assert.equal(facts['license'], 'MIT');
      assert.equal(facts['Nodes in subgraphs'], '11');
      assert.equal(model.weights.find((weight) => weight.path === 'steps')?.trainable, false);
      // A sparse initializer: its stored values, with the dense shape in a warning.
      assert.deepEqual(Array.from(await model.readTensor('sparse')), [4.5, -1]);
      assert.equal(facts['Sparse initializers'], '1');
      assert.ok(model.warnings.some((warning) => /Sparse initializer sparse \(dense shape \[3, 4\]\) is shown as its 2 stored values/.test(warning)));
      assert.equal(model.weights.find((weight) => weight.path === 'bias')?.layer, model.graph?.nodes[0]?.name);
    });
  });

  describe('damaged and hostile files', function () {
    this.timeout(30_000);

    it('rejects a truncated model', async () => {
      const truncated = file('truncated.onnx');
      const bytes = readFileSync(CNN);
      writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
      await rejectsNaming(parseOnnx(truncated), truncated, /damaged or truncated/);
    });

    it('rejects files that are not ONNX', async () => {
      const text = file('notes.onnx');
      writeFileSync(text, 'just some text, not a model\n');
      await rejectsNaming(parseOnnx(text), text, /not (a readable|an) ONNX model/);
      const empty = file('empty.onnx');
      writeFileSync(empty, '');
      await rejectsNaming(parseOnnx(empty), empty, /empty/);
      await rejectsNaming(parseOnnx(file('missing.onnx')), file('missing.onnx'), /cannot read/);
    });

    it('rejects raw data shorter than the declared shape', async () => {
      await rejectsNaming(parseOnnx(file('short_raw.onnx')), file('short_raw.onnx'), /initializer w .*needs 4000 bytes of raw data but holds 8/);
    });

    it('rejects typed fields that do not match the declared shape', async () => {
      await rejectsNaming(parseOnnx(file('short_typed.onnx')), file('short_typed.onnx'), /declares 4 elements of float32 but holds 3 values/);
      await rejectsNaming(parseOnnx(file('claims_many.onnx')), file('claims_many.onnx'), /declares 1000000000 elements of float32, more than its \d+ bytes can hold/);
    });

    it('rejects dims beyond 2^53 and shapes whose product overflows', async () => {
      await rejectsNaming(parseOnnx(file('huge_dims.onnx')), file('huge_dims.onnx'), /invalid dimension 1152921504606846976/);
      await rejectsNaming(parseOnnx(file('product_overflow.onnx')), file('product_overflow.onnx'), /the shape \[1073741824, 1073741824, \.\.\.\] has too many elements/);
    });

    it('rejects messages nested past the protobuf limit', async () => {
      await rejectsNaming(parseOnnx(file('deep.onnx')), file('deep.onnx'), /nested too deeply/);
    });

    it('refuses to read after close and names unknown tensors', async () => {
      const model = await parseOnnx(CNN);
      await rejectsNaming(model.readTensor('nope'), CNN, /no tensor nope/);
      model.close();
      await rejectsNaming(model.readTensor('conv1.0.weight'), CNN, /closed/);
    });
  });
});
