/**
 * The Training Monitor page. Posts `ready`, then takes the host's snapshot,
 * run lists and appends. Its own UI state (chart settings, hidden runs,
 * filter, tab) is saved with setState so a reload comes back as it was.
 */
import '../shared/base.css';
import './monitor.css';
import type { MonitorToView, MonitorViewState, ViewToMonitor } from '../../src/protocol/monitorView';
import { connect, stateSaver } from '../shared/vscode';
import { MonitorPage } from './page';
import { restoreMonitorViewState } from './viewState';

const host = connect<ViewToMonitor, MonitorToView, MonitorViewState>();
const root = document.getElementById('root') as HTMLElement;
document.body.classList.add('monitor-body');

const state = restoreMonitorViewState(host.getState());

const save = stateSaver(host, state);

const page = new MonitorPage({ state, save, post: (message) => host.post(message) });
root.replaceChildren(page.element);
page.mounted();

host.onMessage((message) => {
  if (typeof message !== 'object' || message === null) return;
  page.handle(message);
});

const RESIZE_DELAY_MS = 100;
let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => page.resize(), RESIZE_DELAY_MS);
});

// Durations of running runs and processes count up.
const TICK_MS = 1000;
window.setInterval(() => page.tick(), TICK_MS);

host.post({ type: 'ready' });
