/** webviews/summary/viewState.ts: the page's saved UI state survives reloads and rejects damaged input. */
import assert from 'node:assert/strict';
import { availableTabs, defaultViewState, parseBoundedInteger, restoreViewState, type ViewState } from '../../webviews/summary/viewState';

describe('summary view state', () => {
  it('starts from defaults when nothing was saved', () => {
    assert.deepEqual(restoreViewState(undefined), defaultViewState());
    assert.deepEqual(restoreViewState('garbage'), defaultViewState());
    assert.deepEqual(restoreViewState([1, 2]), defaultViewState());
  });

  it('restores everything a page saved, through JSON as setState stores it', () => {
    const saved: ViewState = {
      tab: 'graph',
      layerSort: { column: 'macs', direction: 'desc' },
      layerFilter: 'conv',
      weightSort: { column: 'std', direction: 'asc' },
      weightFilter: 'kernel',
      depth: 1,
      run: { input: 'normal', batchSize: 8, unknownDim: 128 },
      scroll: { layers: 1300, weights: 52, run: 10 },
      selected: 'block/conv2d',
      graph: { x: -120, y: 40.5, scale: 0.75 },
    };
    assert.deepEqual(restoreViewState(JSON.parse(JSON.stringify(saved))), saved);
  });

  it('drops each damaged field on its own, keeping the rest', () => {
    const restored = restoreViewState({
      tab: 'settings',
      layerSort: { column: 'colour', direction: 'asc' },
      weightSort: { column: 'std', direction: 'sideways' },
      layerFilter: 42,
      weightFilter: 'x'.repeat(1000),
      depth: -1,
      run: { input: 'ones', batchSize: 100000, unknownDim: '16' },
      scroll: { layers: -5, weights: 'far', run: 7 },
      selected: { id: 'x' },
      graph: { x: 1, y: 2, scale: 0 },
    });
    assert.equal(restored.tab, 'layers');
    assert.equal(restored.layerSort, undefined);
    assert.equal(restored.weightSort, undefined);
    assert.equal(restored.layerFilter, '');
    assert.equal(restored.weightFilter.length, 200);
    assert.equal(restored.depth, null);
    assert.deepEqual(restored.run, { input: 'uniform', batchSize: 1, unknownDim: 16 });
    assert.deepEqual(restored.scroll, { layers: 0, weights: 0, run: 7 });
    assert.equal(restored.selected, undefined);
    assert.equal(restored.graph, undefined);
  });

  it('accepts only whole numbers in range for the run options', () => {
    assert.equal(parseBoundedInteger('8', 1, 1024), 8);
    assert.equal(parseBoundedInteger(' 16 ', 1, 1024), 16);
    assert.equal(parseBoundedInteger(8, 1, 1024), 8);
    for (const bad of ['0', '1025', '2.5', '1e3', '', 'abc', '-3', 2.5, null, undefined]) {
      assert.equal(parseBoundedInteger(bad, 1, 1024), undefined, `rejects ${String(bad)}`);
    }
  });

  it('offers the tabs that fit the file', () => {
    const base = { hasArchitecture: true, layers: [{}], format: 'keras-h5' };
    assert.deepEqual(availableTabs(base), ['layers', 'weights', 'graph', 'run']);
    assert.deepEqual(availableTabs({ hasArchitecture: false, layers: [], graph: {}, format: 'tfjs-graph' }), ['layers', 'weights', 'graph', 'run']);
    assert.deepEqual(availableTabs({ hasArchitecture: false, layers: [], format: 'keras-h5-weights' }), ['weights']);
    assert.deepEqual(availableTabs({ hasArchitecture: false, layers: [], format: 'hdf5-data' }), []);
  });
});
