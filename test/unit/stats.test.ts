import assert from 'node:assert/strict';
import { concreteShape } from '../../src/engine/run';
import { valueStats } from '../../src/engine/stats';

describe('valueStats', () => {
  it('gives mean, population std, min, max and the zero fraction', () => {
    const stats = valueStats(new Float32Array([0, 2, 4, 0, -6]));
    assert.equal(stats.mean, 0);
    assert.ok(Math.abs(stats.std - Math.sqrt((0 + 4 + 16 + 0 + 36) / 5)) < 1e-12);
    assert.equal(stats.min, -6);
    assert.equal(stats.max, 4);
    assert.equal(stats.zeros, 0.4);
    assert.equal(stats.nan, 0);
    assert.equal(stats.inf, 0);
  });

  it('counts NaN and Inf apart and keeps them out of the moments', () => {
    const stats = valueStats(new Float32Array([1, NaN, Infinity, -Infinity, 3]));
    assert.equal(stats.nan, 1);
    assert.equal(stats.inf, 2);
    assert.equal(stats.mean, 2);
    assert.equal(stats.min, 1);
    assert.equal(stats.max, 3);
  });

  it('answers zeros for an empty or all-NaN tensor instead of Infinity', () => {
    assert.deepEqual(valueStats(new Float32Array(0)), { mean: 0, std: 0, min: 0, max: 0, zeros: 0, nan: 0, inf: 0 });
    assert.equal(valueStats(new Float32Array([NaN, NaN])).nan, 2);
  });

  it('stays accurate for values far from zero', () => {
    const values = new Float64Array(1000).map((_, i) => 1e6 + (i % 2));
    const stats = valueStats(values);
    assert.ok(Math.abs(stats.mean - (1e6 + 0.5)) < 1e-6);
    assert.ok(Math.abs(stats.std - 0.5) < 1e-6, `std ${stats.std}`);
  });
});

describe('concreteShape', () => {
  it('puts the batch size at axis 0 and the chosen size at other unknown axes', () => {
    const options = { input: 'normal' as const, batchSize: 4, unknownDim: 16 };
    assert.deepEqual(concreteShape([null, null, 8], options), [4, 16, 8]);
    assert.deepEqual(concreteShape([-1, 28, 28, 1], options), [4, 28, 28, 1]);
    assert.deepEqual(concreteShape([2, 3], options), [2, 3]);
  });
});
