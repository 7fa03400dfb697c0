/**
 * src/formats/moduleTree.ts on hand-written weight lists: the tree (nesting,
 * pre-order, first-seen order), each class rule and its settings, the
 * ambiguous cases (named by evidence or left `Module` with the reason),
 * known classes, tied weights, buffers, and hostile names.
 */
import assert from 'node:assert/strict';
import {
  AMBIGUOUS,
  MAX_MODULE_DEPTH,
  UNKNOWN_TYPE,
  bufferPaths,
  inferModules,
  linkWeights,
  locateTensor,
  shortClassName,
  tiedTensors,
} from '../../src/formats/moduleTree';
import type { ModuleNode, WeightTensor } from '../../src/protocol/model';

function tensor(path: string, shape: number[], extra: Partial<WeightTensor> = {}): WeightTensor {
  const size = shape.reduce((product, dim) => product * dim, 1);
  return { path, layer: '', name: path.slice(path.lastIndexOf('.') + 1), shape, dtype: 'float32', bytes: size * 4, trainable: true, ...extra };
}

function byId(nodes: ModuleNode[], id: string): ModuleNode {
  const node = nodes.find((candidate) => candidate.id === id);
  assert.ok(node, `no module ${id} among ${nodes.map((candidate) => candidate.id).join(', ')}`);
  return node;
}

/** The single module of a one-module weight list. */
function only(weights: WeightTensor[], knownClasses?: Map<string, string>): ModuleNode {
  const nodes = inferModules(weights, knownClasses);
  assert.equal(nodes.length, 1, nodes.map((node) => node.id).join(', '));
  return nodes[0] as ModuleNode;
}

describe('moduleTree: the tree', () => {
  it('nests dotted names, pre-order, children in first-seen order, containers as Module', () => {
    const nodes = inferModules([
      tensor('conv1.weight', [64, 3, 7, 7]),
      tensor('layer1.0.conv1.weight', [64, 64, 3, 3]),
      tensor('layer1.0.downsample.1.running_mean', [64]),
      tensor('layer1.0.downsample.0.weight', [64, 64, 1, 1]),
      tensor('fc.weight', [10, 64]),
      tensor('fc.bias', [10]),
      tensor('layer1.0.bn1.running_var', [64]),
    ]);
    assert.deepEqual(
      nodes.map((node) => [node.id, node.name, node.parent, node.depth]),
      [
        ['conv1', 'conv1', undefined, 0],
        ['layer1', 'layer1', undefined, 0],
        ['layer1.0', '0', 'layer1', 1],
        ['layer1.0.conv1', 'conv1', 'layer1.0', 2],
        ['layer1.0.downsample', 'downsample', 'layer1.0', 2],
        ['layer1.0.downsample.1', '1', 'layer1.0.downsample', 3],
        ['layer1.0.downsample.0', '0', 'layer1.0.downsample', 3],
        ['layer1.0.bn1', 'bn1', 'layer1.0', 2],
        ['fc', 'fc', undefined, 0],
      ],
    );
    const container = byId(nodes, 'layer1.0');
    assert.equal(container.className, 'Module');
    assert.equal(container.classSource, 'container');
    assert.deepEqual(container.weightPaths, []);
    assert.deepEqual(byId(nodes, 'fc').weightPaths, ['fc.weight', 'fc.bias']);
    assert.equal(byId(nodes, 'fc').classSource, 'inferred');
  });

  it('gives top-level tensors (a bare module state_dict) a first node with id ""', () => {
    const nodes = inferModules([tensor('weight', [5, 3]), tensor('bias', [5]), tensor('extra.weight', [2, 5, 3])]);
    assert.deepEqual(
      nodes.map((node) => [node.id, node.className, node.depth]),
      [
        ['', 'Linear', 0],
        ['extra', 'Conv1d', 0],
      ],
    );
    assert.deepEqual(byId(nodes, '').weightPaths, ['weight', 'bias']);
  });

  it('builds 10,000-module trees in pre-order', () => {
    const weights: WeightTensor[] = [];
    for (let block = 0; block < 100; block++) {
      for (let layer = 0; layer < 99; layer++) weights.push(tensor(`blocks.${block}.${layer}.weight`, [4, 4]), tensor(`blocks.${block}.${layer}.bias`, [4]));
    }
    const nodes = inferModules(weights);
    assert.equal(nodes.length, 1 + 100 + 100 * 99);
    assert.equal(nodes[0]?.id, 'blocks');
    assert.deepEqual(
      nodes.slice(1, 4).map((node) => node.id),
      ['blocks.0', 'blocks.0.0', 'blocks.0.1'],
    );
    assert.equal(nodes[101]?.id, 'blocks.1');
    assert.equal(nodes.at(-1)?.id, 'blocks.99.98');
    assert.ok(nodes.filter((node) => node.depth === 2).every((node) => node.className === 'Linear' && node.weightPaths.length === 2));
  });
});

describe('moduleTree: convolutions and linear layers', () => {
  it('Conv1d/2d/3d from the weight rank: out_channels, in_channels / groups, kernel_size, bias', () => {
    const conv2d = only([tensor('conv.weight', [64, 3, 7, 5]), tensor('conv.bias', [64])]);
    assert.equal(conv2d.className, 'Conv2d');
    assert.equal(conv2d.classSource, 'inferred');
    assert.equal(conv2d.settings['out_channels'], '64');
    assert.equal(conv2d.settings['in_channels / groups'], '3');
    assert.equal(conv2d.settings['kernel_size'], '7×5');
    assert.equal(conv2d.settings['bias'], 'true');
    assert.match(conv2d.settings[AMBIGUOUS] ?? '', /ConvTranspose2d/);
    assert.equal(only([tensor('c.weight', [8, 4, 5])]).className, 'Conv1d');
    const conv3d = only([tensor('c.weight', [4, 2, 3, 3, 3])]);
    assert.equal(conv3d.className, 'Conv3d');
    assert.equal(conv3d.settings['bias'], 'false');
    assert.equal(conv3d.settings['kernel_size'], '3×3×3');
  });

  it('says a depthwise convolution may be one, and refuses a bias that does not fit', () => {
    assert.match(only([tensor('dw.weight', [32, 1, 3, 3])]).settings['groups'] ?? '', /depthwise/);
    const bad = only([tensor('conv.weight', [64, 3, 3, 3]), tensor('conv.bias', [32])]);
    assert.equal(bad.className, 'Module');
    assert.match(bad.settings[UNKNOWN_TYPE] ?? '', /bias \[32\]/);
  });

  it('never calls a module ConvTranspose from tensors; a name that says so leaves it Module', () => {
    const deconv = only([tensor('deconv1.weight', [16, 8, 4, 4])]);
    assert.equal(deconv.className, 'Module');
    assert.match(deconv.settings[UNKNOWN_TYPE] ?? '', /ConvTranspose2d/);
    const known = only([tensor('up.weight', [16, 8, 4, 4]), tensor('up.bias', [8])], new Map([['up', 'torch.nn.modules.conv.ConvTranspose2d']]));
    assert.equal(known.className, 'ConvTranspose2d');
    assert.equal(known.classSource, 'pickle');
    assert.equal(known.settings['in_channels'], '16');
    assert.equal(known.settings['out_channels / groups'], '8');
    assert.equal(known.settings['class'], 'torch.nn.modules.conv.ConvTranspose2d');
  });

  it('Linear from a 2-D weight and a bias of its rows', () => {
    const linear = byId(inferModules([tensor('classifier.1.weight', [1000, 1280]), tensor('classifier.1.bias', [1000])]), 'classifier.1');
    assert.equal(linear.className, 'Linear');
    assert.deepEqual(linear.settings, { in_features: '1280', out_features: '1000', bias: 'true' });
    assert.equal(only([tensor('fc.weight', [10, 4]), tensor('fc.bias', [4])]).className, 'Module');
  });

  it('a 2-D weight alone: Embedding or bias-free Linear by name, else Module saying both', () => {
    const embedding = only([tensor('word_embeddings.weight', [30522, 768])]);
    assert.equal(embedding.className, 'Embedding');
    assert.equal(embedding.settings['num_embeddings'], '30522');
    assert.equal(embedding.settings['embedding_dim'], '768');
    assert.match(embedding.settings[AMBIGUOUS] ?? '', /Linear without bias/);
    const head = only([tensor('lm_head.weight', [50, 16])]);
    assert.equal(head.className, 'Linear');
    assert.equal(head.settings['bias'], 'false');
    // A Sequential index says nothing: the nearest named ancestor speaks.
    assert.equal(inferModules([tensor('embeddings.0.weight', [10, 4])]).at(-1)?.className, 'Embedding');
    const unclear = only([tensor('table.weight', [10, 4])]);
    assert.equal(unclear.className, 'Module');
    assert.match(unclear.settings[UNKNOWN_TYPE] ?? '', /Embedding or Linear without bias/);
    // Two words for two classes is no evidence.
    assert.equal(only([tensor('token_proj.weight', [10, 4])]).className, 'Module');
  });
});

describe('moduleTree: normalisation', () => {
  it('BatchNorm from running statistics: num_features, dimension unknown with the hint of the conv before it', () => {
    const nodes = inferModules([
      tensor('conv1.weight', [64, 3, 7, 7]),
      tensor('bn1.weight', [64]),
      tensor('bn1.bias', [64]),
      tensor('bn1.running_mean', [64]),
      tensor('bn1.running_var', [64]),
      tensor('bn1.num_batches_tracked', [], { dtype: 'int64' }),
      tensor('bn2.running_mean', [32]),
      tensor('bn2.running_var', [32]),
    ]);
    const bn = byId(nodes, 'bn1');
    assert.equal(bn.className, 'BatchNorm');
    assert.equal(bn.settings['num_features'], '64');
    assert.equal(bn.settings['affine'], 'true');
    assert.match(bn.settings['dimension'] ?? '', /^1d\/2d\/3d unknown \(follows a Conv2d with 64 channels: likely 2d\)$/);
    const plain = byId(nodes, 'bn2');
    assert.equal(plain.className, 'BatchNorm');
    assert.equal(plain.settings['affine'], 'false');
    assert.equal(plain.settings['dimension'], '1d/2d/3d unknown');
    const known = only([tensor('n.running_mean', [8]), tensor('n.running_var', [8])], new Map([['n', 'BatchNorm1d']]));
    assert.equal(known.className, 'BatchNorm1d');
    assert.equal(known.settings['num_features'], '8');
  });

  it('running statistics that do not fit one size leave it Module', () => {
    const odd = only([tensor('bn.running_mean', [8]), tensor('bn.running_var', [8]), tensor('bn.weight', [4])]);
    assert.equal(odd.className, 'Module');
    assert.match(odd.settings[UNKNOWN_TYPE] ?? '', /running statistics/);
  });

  it('weight+bias of one shape: LayerNorm/GroupNorm/InstanceNorm by name, marked ambiguous; no evidence is Module', () => {
    const layerNorm = byId(inferModules([tensor('encoder.layers.0.norm1.weight', [32]), tensor('encoder.layers.0.norm1.bias', [32])]), 'encoder.layers.0.norm1');
    assert.equal(layerNorm.className, 'LayerNorm');
    assert.equal(layerNorm.settings['normalized_shape'], '32');
    assert.match(layerNorm.settings[AMBIGUOUS] ?? '', /picked by the name "norm1".*GroupNorm/);
    assert.equal(only([tensor('ln_f.weight', [8]), tensor('ln_f.bias', [8])]).className, 'LayerNorm');
    assert.equal(only([tensor('ln.weight', [4, 5]), tensor('ln.bias', [4, 5])]).settings['normalized_shape'], '[4, 5]');
    const group = only([tensor('group_norm.weight', [8]), tensor('group_norm.bias', [8])]);
    assert.equal(group.className, 'GroupNorm');
    assert.equal(group.settings['num_groups'], 'unknown (not stored)');
    assert.equal(only([tensor('gn1.weight', [8]), tensor('gn1.bias', [8])]).className, 'GroupNorm');
    assert.equal(only([tensor('instance_norm.weight', [8]), tensor('instance_norm.bias', [8])]).className, 'InstanceNorm');
    assert.equal(only([tensor('bn.weight', [8]), tensor('bn.bias', [8])]).settings['track_running_stats'], 'false');
    const unclear = only([tensor('scale.weight', [8]), tensor('scale.bias', [8])]);
    assert.equal(unclear.className, 'Module');
    assert.match(unclear.settings[UNKNOWN_TYPE] ?? '', /LayerNorm, affine GroupNorm\/InstanceNorm/);
    const knownGroup = only([tensor('scale.weight', [8]), tensor('scale.bias', [8])], new Map([['scale', 'GroupNorm']]));
    assert.equal(knownGroup.className, 'GroupNorm');
    assert.equal(knownGroup.settings['num_channels'], '8');
    assert.equal(knownGroup.settings[AMBIGUOUS], undefined);
  });

  it('a 1-D weight alone: PReLU or RMSNorm by name, else Module', () => {
    const prelu = only([tensor('prelu.weight', [8])]);
    assert.equal(prelu.className, 'PReLU');
    assert.equal(prelu.settings['num_parameters'], '8');
    assert.equal(only([tensor('rms_norm.weight', [8])]).className, 'RMSNorm');
    assert.equal(only([tensor('gamma.weight', [8])]).className, 'Module');
  });
});

describe('moduleTree: recurrent layers and attention', () => {
  function recurrentWeights(prefix: string, gates: number, input: number, hidden: number, layers: number, options: { reverse?: boolean; bias?: boolean; proj?: number } = {}): WeightTensor[] {
    const out: WeightTensor[] = [];
    for (let layer = 0; layer < layers; layer++) {
      for (const suffix of options.reverse ? ['', '_reverse'] : ['']) {
        const width = options.proj ?? hidden;
        const layerInput = layer === 0 ? input : width * (options.reverse ? 2 : 1);
        out.push(tensor(`${prefix}.weight_ih_l${layer}${suffix}`, [gates * hidden, layerInput]), tensor(`${prefix}.weight_hh_l${layer}${suffix}`, [gates * hidden, width]));
        if (options.bias !== false) out.push(tensor(`${prefix}.bias_ih_l${layer}${suffix}`, [gates * hidden]), tensor(`${prefix}.bias_hh_l${layer}${suffix}`, [gates * hidden]));
        if (options.proj) out.push(tensor(`${prefix}.weight_hr_l${layer}${suffix}`, [options.proj, hidden]));
      }
    }
    return out;
  }

  it('LSTM, GRU and RNN from the gate rows: input_size, hidden_size, num_layers, bidirectional, bias', () => {
    const lstm = only(recurrentWeights('lstm', 4, 16, 32, 2, { reverse: true }));
    assert.equal(lstm.className, 'LSTM');
    assert.deepEqual(lstm.settings, { input_size: '16', hidden_size: '32', num_layers: '2', bidirectional: 'true', bias: 'true' });
    const gru = only(recurrentWeights('gru', 3, 64, 24, 1, { bias: false }));
    assert.equal(gru.className, 'GRU');
    assert.equal(gru.settings['bias'], 'false');
    assert.equal(gru.settings['bidirectional'], 'false');
    const rnn = only(recurrentWeights('rnn', 1, 6, 7, 3));
    assert.equal(rnn.className, 'RNN');
    assert.equal(rnn.settings['num_layers'], '3');
    assert.match(rnn.settings['nonlinearity'] ?? '', /not stored/);
  });

  it('an LSTM with proj_size, and the cells', () => {
    const projected = only(recurrentWeights('lstm', 4, 24, 20, 1, { proj: 10 }));
    assert.equal(projected.className, 'LSTM');
    assert.equal(projected.settings['hidden_size'], '20');
    assert.equal(projected.settings['proj_size'], '10');
    const cell = only([tensor('cell.weight_ih', [48, 16]), tensor('cell.weight_hh', [48, 12]), tensor('cell.bias_ih', [48]), tensor('cell.bias_hh', [48])]);
    assert.equal(cell.className, 'LSTMCell');
    assert.deepEqual(cell.settings, { input_size: '16', hidden_size: '12', bias: 'true' });
    assert.equal(only([tensor('c.weight_ih', [18, 12]), tensor('c.weight_hh', [18, 6])]).className, 'GRUCell');
  });

  it('recurrent tensors that do not add up leave it Module with the reason', () => {
    const gates = only([tensor('r.weight_ih_l0', [10, 4]), tensor('r.weight_hh_l0', [10, 5])]);
    assert.equal(gates.className, 'Module');
    assert.match(gates.settings[UNKNOWN_TYPE] ?? '', /10 rows/);
    const gap = only([...recurrentWeights('r', 4, 4, 5, 1), tensor('r.weight_ih_l2', [20, 5]), tensor('r.weight_hh_l2', [20, 5])]);
    assert.match(gap.settings[UNKNOWN_TYPE] ?? '', /layer numbers/);
    const stray = only([...recurrentWeights('r', 4, 4, 5, 1), tensor('r.scale', [5])]);
    assert.match(stray.settings[UNKNOWN_TYPE] ?? '', /scale is not a LSTM tensor/);
  });

  it('MultiheadAttention, packed or with kdim/vdim; out_proj is its own Linear child', () => {
    const nodes = inferModules([
      tensor('attn.in_proj_weight', [48, 16]),
      tensor('attn.in_proj_bias', [48]),
      tensor('attn.out_proj.weight', [16, 16]),
      tensor('attn.out_proj.bias', [16]),
    ]);
    const attention = byId(nodes, 'attn');
    assert.equal(attention.className, 'MultiheadAttention');
    assert.equal(attention.settings['embed_dim'], '16');
    assert.equal(attention.settings['bias'], 'true');
    assert.match(attention.settings['num_heads'] ?? '', /unknown/);
    assert.deepEqual(attention.weightPaths, ['attn.in_proj_weight', 'attn.in_proj_bias']);
    assert.equal(byId(nodes, 'attn.out_proj').className, 'Linear');
    const separate = only([tensor('a.q_proj_weight', [16, 16]), tensor('a.k_proj_weight', [16, 8]), tensor('a.v_proj_weight', [16, 12]), tensor('a.bias_k', [1, 1, 16]), tensor('a.bias_v', [1, 1, 16])]);
    assert.equal(separate.className, 'MultiheadAttention');
    assert.deepEqual([separate.settings['kdim'], separate.settings['vdim'], separate.settings['bias'], separate.settings['add_bias_kv']], ['8', '12', 'false', 'true']);
    assert.equal(only([tensor('a.in_proj_weight', [40, 16])]).className, 'Module');
  });
});

describe('moduleTree: parametrizations', () => {
  it('weight_norm (weight_g/weight_v) and spectral_norm (weight_orig) describe the layer they wrap', () => {
    const normed = only([tensor('dense.bias', [16]), tensor('dense.weight_g', [16, 1]), tensor('dense.weight_v', [16, 8])]);
    assert.equal(normed.className, 'Linear');
    assert.equal(normed.settings['in_features'], '8');
    assert.match(normed.settings['weight stored as'] ?? '', /^weight_norm/);
    const spectral = only([tensor('conv.weight_orig', [8, 3, 3, 3]), tensor('conv.weight_u', [8]), tensor('conv.weight_v', [27])]);
    assert.equal(spectral.className, 'Conv2d');
    assert.match(spectral.settings['weight stored as'] ?? '', /^spectral_norm/);
  });

  it('parametrizations.weight.original0/1 belong to the parametrized module', () => {
    const nodes = inferModules([tensor('conv.bias', [8]), tensor('conv.parametrizations.weight.original0', [8, 1, 1, 1]), tensor('conv.parametrizations.weight.original1', [8, 3, 3, 3])]);
    assert.deepEqual(
      nodes.map((node) => node.id),
      ['conv'],
    );
    assert.equal(nodes[0]?.className, 'Conv2d');
    assert.equal(nodes[0]?.weightPaths.length, 3);
    assert.deepEqual(locateTensor('conv.parametrizations.weight.original1'), { module: 'conv', moduleParts: ['conv'], name: 'parametrizations.weight.original1', truncated: false });
  });
});

describe('moduleTree: known classes', () => {
  it('the class the file names wins; tensorless modules it lists keep their place', () => {
    const known = new Map([
      ['features', 'torch.nn.modules.container.Sequential'],
      ['features.0', 'torch.nn.modules.conv.Conv2d'],
      ['features.1', 'torch.nn.modules.activation.ReLU'],
      ['features.2', '__torch__.torch.nn.modules.linear.___torch_mangle_0.Linear'],
      ['head', '__main__.Head'],
    ]);
    const nodes = inferModules(
      [tensor('features.0.weight', [8, 3, 3, 3]), tensor('features.2.weight', [10, 8]), tensor('head.scale', [3]), tensor('extra.weight', [4, 4]), tensor('extra.bias', [4])],
      known,
    );
    assert.deepEqual(
      nodes.map((node) => [node.id, node.className, node.classSource]),
      [
        ['features', 'Sequential', 'pickle'],
        ['features.0', 'Conv2d', 'pickle'],
        ['features.1', 'ReLU', 'pickle'],
        ['features.2', 'Linear', 'pickle'],
        ['head', 'Head', 'pickle'],
        ['extra', 'Linear', 'inferred'],
      ],
    );
    assert.equal(byId(nodes, 'features.0').settings['out_channels'], '8');
    assert.equal(byId(nodes, 'features.2').settings['bias'], 'false');
    assert.equal(byId(nodes, 'features.2').settings[AMBIGUOUS], undefined);
    assert.equal(byId(nodes, 'head').settings['class'], '__main__.Head');
    assert.equal(shortClassName('a.b.'), 'a.b.');
  });

  it('a known class whose tensors do not fit keeps the class and adds no settings from them', () => {
    const node = only([tensor('x.weight', [4, 4])], new Map([['x', 'LSTM']]));
    assert.equal(node.className, 'LSTM');
    assert.deepEqual(node.settings, {});
  });
});

describe('moduleTree: tied weights and buffers', () => {
  const weights = [
    tensor('embed.weight', [50, 16], { storage: '0' }),
    tensor('rnn.weight_ih_l0', [64, 16], { storage: '1' }),
    tensor('rnn.weight_hh_l0', [64, 16], { storage: '2' }),
    tensor('head.weight', [50, 16], { storage: '0' }),
    // A view of storage 2 with another shape is a different tensor, not a tie.
    tensor('view.weight', [16, 64], { storage: '2' }),
  ];

  it('the first tensor of a storage owns it; later ones of the same shape are tied to it', () => {
    const tied = tiedTensors(weights);
    assert.deepEqual([...tied].map(([path, owner]) => [path, owner.path]), [['head.weight', 'embed.weight']]);
    const nodes = inferModules(weights);
    assert.equal(byId(nodes, 'head').settings['tied'], 'weight = embed.weight');
    assert.equal(byId(nodes, 'embed').settings['tied'], undefined);
    assert.equal(byId(nodes, 'view').settings['tied'], undefined);
  });

  it('linkWeights returns copies with layer = module id and sharedWith = [owner module] on the repeats', () => {
    const input = weights.map((weight) => ({ ...weight, layer: 'wrong' }));
    const linked = linkWeights(input);
    assert.deepEqual(
      linked.map((weight) => [weight.path, weight.layer, weight.sharedWith]),
      [
        ['embed.weight', 'embed', undefined],
        ['rnn.weight_ih_l0', 'rnn', undefined],
        ['rnn.weight_hh_l0', 'rnn', undefined],
        ['head.weight', 'head', ['embed']],
        ['view.weight', 'view', undefined],
      ],
    );
    assert.equal(input[0]?.layer, 'wrong');
    assert.equal(linkWeights([tensor('c.parametrizations.weight.original0', [2, 2])])[0]?.layer, 'c');
  });

  it('bufferPaths: running statistics and spectral_norm vectors, not look-alike names elsewhere', () => {
    const buffers = bufferPaths([
      tensor('bn.weight', [4]),
      tensor('bn.running_mean', [4]),
      tensor('bn.running_var', [4]),
      tensor('bn.num_batches_tracked', []),
      tensor('sn.weight_orig', [4, 4]),
      tensor('sn.weight_u', [4]),
      tensor('sn.weight_v', [4]),
      tensor('wn.weight_g', [4, 1]),
      tensor('wn.weight_v', [4, 4]),
    ]);
    assert.deepEqual([...buffers], ['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked', 'sn.weight_u', 'sn.weight_v']);
  });
});

describe('moduleTree: hostile names', () => {
  it('__proto__, constructor and prototype names are plain modules; Object.prototype stays untouched', () => {
    const nodes = inferModules(
      [tensor('__proto__.weight', [4, 4]), tensor('__proto__.bias', [4]), tensor('constructor.prototype.weight', [3, 3, 3]), tensor('hasOwnProperty.running_mean', [2]), tensor('hasOwnProperty.running_var', [2])],
      new Map([['toString', 'Evil']]),
    );
    assert.deepEqual(
      nodes.map((node) => [node.id, node.className]),
      [
        ['toString', 'Evil'],
        ['__proto__', 'Linear'],
        ['constructor', 'Module'],
        ['constructor.prototype', 'Conv1d'],
        ['hasOwnProperty', 'BatchNorm'],
      ],
    );
    assert.equal(Object.getPrototypeOf(byId(nodes, '__proto__').settings), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['weight'], undefined);
    assert.equal(({} as Record<string, unknown>)['in_features'], undefined);
    assert.equal(Object.keys(Object.prototype).length, 0);
  });

  it('empty parts (a..b, .weight) become modules named "" and never collide with others', () => {
    const nodes = inferModules([tensor('a..b.weight', [4, 4]), tensor('a.b.weight', [4, 4]), tensor('.weight', [2])]);
    assert.deepEqual(
      nodes.map((node) => [node.id, node.name, node.parent]),
      [
        ['', '', undefined],
        ['a', 'a', undefined],
        ['a.', '', 'a'],
        ['a..b', 'b', 'a.'],
        ['a.b', 'b', 'a'],
      ],
    );
  });

  it('repeated tensor names in one module leave it Module with the reason', () => {
    const nodes = inferModules([tensor('.weight', [4, 4]), tensor('weight', [4, 4])]);
    assert.equal(nodes.length, 1);
    assert.equal(nodes[0]?.className, 'Module');
    assert.match(nodes[0]?.settings[UNKNOWN_TYPE] ?? '', /repeated.*weight/);
  });

  it('very long and very deep names: depth capped, the rest kept as one name', () => {
    const deep = Array.from({ length: 50_000 }, (_, index) => `m${index}`).join('.');
    const long = 'x'.repeat(1_000_000);
    const nodes = inferModules([tensor(`${deep}.weight`, [4, 4]), tensor(`${long}.weight`, [4, 4])]);
    assert.equal(nodes.length, MAX_MODULE_DEPTH + 1);
    const deepest = nodes[MAX_MODULE_DEPTH - 1] as ModuleNode;
    assert.equal(deepest.depth, MAX_MODULE_DEPTH - 1);
    assert.equal(deepest.id, `${deep}`);
    assert.match(deepest.settings['path'] ?? '', /nested deeper than 64/);
    assert.equal(deepest.className, 'Module');
    assert.equal(nodes.at(-1)?.name.length, 1_000_000);
  });
});
