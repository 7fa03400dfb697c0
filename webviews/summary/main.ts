/**
 * The Model Summary page. Posts `ready`, then renders every `state` the host
 * sends: loading, the summary, or the error. Its own UI state (tab, sort,
 * filter, depth, run options, scroll, selection) is saved with setState so a
 * reload of the webview comes back as it was.
 */
import '../shared/base.css';
import './summary.css';
import type { SummaryHostMessage, SummaryViewMessage, SummaryViewState } from '../../src/protocol/summaryView';
import { button, h, progressRing } from '../shared/ui';
import { connect, stateSaver } from '../shared/vscode';
import { SummaryPage, summaryKey } from './page';
import { restoreViewState, type ViewState } from './viewState';

const host = connect<SummaryViewMessage, SummaryHostMessage, ViewState>();
const root = document.getElementById('root') as HTMLElement;
document.body.classList.add('summary-body');

const view = restoreViewState(host.getState());
let page: SummaryPage | undefined;

const save = stateSaver(host, view);

function post(message: SummaryViewMessage): void {
  host.post(message);
}

function renderLoading(state: SummaryViewState | undefined): void {
  page = undefined;
  root.replaceChildren(
    h(
      'div',
      { class: 'loading' },
      progressRing('Reading the model'),
      h('span', {}, state ? `Reading ${state.fileName}…` : 'Loading…'),
    ),
  );
}

function renderFailed(state: SummaryViewState): void {
  page = undefined;
  root.replaceChildren(
    h(
      'div',
      { class: 'failed' },
      h('h1', {}, state.fileName),
      state.relativePath && state.relativePath !== state.fileName ? h('p', { class: 'muted' }, state.relativePath) : null,
      h(
        'div',
        { class: 'banner error', role: 'alert' },
        h('strong', {}, 'The model could not be read.'),
        h('p', { 'data-testid': 'summary-error' }, state.error ?? `${state.fileName} could not be read.`),
      ),
      h(
        'div',
        { class: 'actions' },
        button('Try Again', () => post({ type: 'reload' }), 'primary'),
        button('Reopen as Text/Hex', () => post({ type: 'reopenAsText' })),
      ),
    ),
  );
}

function render(state: SummaryViewState): void {
  if (state.status === 'loading' || (state.status === 'ready' && !state.summary)) {
    renderLoading(state);
    return;
  }
  if (state.status === 'failed' || !state.summary) {
    renderFailed(state);
    return;
  }
  if (page && page.key === summaryKey(state.summary)) {
    page.update(state);
    return;
  }
  page = new SummaryPage(state.summary, state, { view, save, post });
  root.replaceChildren(page.element);
  page.mounted();
  document.title = state.fileName;
}

host.onMessage((message) => {
  if (message.type === 'state') render(message.state);
  else if (message.type === 'copied') page?.copied(message.format);
});
renderLoading(undefined);
host.post({ type: 'ready' });
