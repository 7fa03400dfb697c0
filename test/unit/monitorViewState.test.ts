/** webviews/monitor/viewState.ts: the monitor page's saved UI state survives reloads and rejects damaged input. */
import assert from 'node:assert/strict';
import type { MonitorViewState } from '../../src/protocol/monitorView';
import { clampSmoothingWeight, defaultMonitorViewState, restoreMonitorViewState, setRunHidden, showOnlyRun, visibleRunIds } from '../../webviews/monitor/viewState';

describe('monitor view state', () => {
  it('starts from the documented defaults when nothing was saved', () => {
    const expected: MonitorViewState = {
      smoothing: { kind: 'ema', weight: 0.6 },
      xAxis: 'step',
      logScale: false,
      ignoreOutliers: false,
      hiddenRuns: [],
      filter: '',
      tab: 'charts',
    };
    assert.deepEqual(defaultMonitorViewState(), expected);
    for (const saved of [undefined, null, 'garbage', 42, [1, 2]]) assert.deepEqual(restoreMonitorViewState(saved), expected);
  });

  it('restores everything a page saved, through JSON as setState stores it', () => {
    const saved: MonitorViewState = {
      smoothing: { kind: 'average', weight: 0.85 },
      xAxis: 'relative',
      logScale: true,
      ignoreOutliers: true,
      hiddenRuns: ['/w/runs/a', '/w/runs/b'],
      filter: 'loss|acc',
      tab: 'hparams',
    };
    assert.deepEqual(restoreMonitorViewState(JSON.parse(JSON.stringify(saved))), saved);
  });

  it('drops each damaged field on its own, keeping the rest', () => {
    const restored = restoreMonitorViewState({
      smoothing: { kind: 'gaussian', weight: 7 },
      xAxis: 'time',
      logScale: 'yes',
      ignoreOutliers: true,
      hiddenRuns: ['a', 3, null, 'a', 'b'],
      filter: 'x'.repeat(1000),
      tab: 'settings',
    });
    assert.deepEqual(restored.smoothing, { kind: 'ema', weight: 0.99 });
    assert.equal(restored.xAxis, 'step');
    assert.equal(restored.logScale, false);
    assert.equal(restored.ignoreOutliers, true);
    assert.deepEqual(restored.hiddenRuns, ['a', 'b']);
    assert.equal(restored.filter.length, 200);
    assert.equal(restored.tab, 'charts');
    assert.deepEqual(restoreMonitorViewState({ smoothing: 'ema', hiddenRuns: 'a' }).hiddenRuns, []);
    assert.deepEqual(restoreMonitorViewState({ smoothing: { kind: 'none', weight: Number.NaN } }).smoothing, { kind: 'none', weight: 0.6 });
  });

  it('keeps a bounded list of hidden runs', () => {
    const many = Array.from({ length: 5000 }, (_, index) => `run-${index}`);
    const restored = restoreMonitorViewState({ hiddenRuns: many });
    assert.equal(restored.hiddenRuns.length, 1000);
    assert.equal(restored.hiddenRuns[999], 'run-4999', 'the newest are kept');
  });

  it('clamps smoothing weights to [0, 0.99]', () => {
    assert.equal(clampSmoothingWeight(0.6), 0.6);
    assert.equal(clampSmoothingWeight(-1), 0);
    assert.equal(clampSmoothingWeight(1), 0.99);
    assert.equal(clampSmoothingWeight('0.3'), 0.3);
    for (const bad of ['', 'abc', null, undefined, Number.POSITIVE_INFINITY, {}]) assert.equal(clampSmoothingWeight(bad), undefined, String(bad));
  });

  it('shows, hides and isolates runs', () => {
    const runs = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    assert.deepEqual(visibleRunIds(runs, []), ['a', 'b', 'c']);
    assert.deepEqual(visibleRunIds(runs, ['b', 'gone']), ['a', 'c']);
    assert.deepEqual(setRunHidden(['b'], 'a', true), ['b', 'a']);
    assert.deepEqual(setRunHidden(['b', 'a'], 'b', false), ['a']);
    assert.deepEqual(setRunHidden(['a'], 'a', true), ['a'], 'no duplicates');
    const only = showOnlyRun(['gone', 'a'], runs, 'a');
    assert.deepEqual(visibleRunIds(runs, only), ['a']);
    assert.ok(only.includes('gone'), 'a run not listed now keeps its setting');
  });
});
