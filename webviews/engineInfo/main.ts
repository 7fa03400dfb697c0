/** The Engine Info page: renders what the host sends; holds no logic of its own. */
import '../shared/base.css';
import type { BackendAttempt, EngineInfo } from '../../src/protocol/engine';
import type { EngineInfoHostMessage, EngineInfoViewMessage, EngineInfoViewState } from '../../src/protocol/engineInfoView';
import { button, facts, h, tag } from '../shared/ui';
import { connect } from '../shared/vscode';

const host = connect<EngineInfoViewMessage, EngineInfoHostMessage, EngineInfoViewState>();
const root = document.getElementById('root') as HTMLElement;

const BACKEND_NAMES: Record<string, string> = {
  tensorflow: 'native TensorFlow (tfjs-node)',
  wasm: 'WebAssembly (WASM)',
  cpu: 'plain JavaScript (cpu)',
};

function attemptRow(attempt: BackendAttempt): HTMLElement {
  return h(
    'tr',
    {},
    h('td', {}, attempt.backend),
    h('td', { class: attempt.ok ? 'ok' : 'error' }, attempt.ok ? 'loaded' : 'not available'),
    h('td', {}, `${attempt.milliseconds} ms`),
    h('td', { class: 'muted' }, attempt.error ?? ''),
  );
}

function renderReady(info: EngineInfo): HTMLElement[] {
  const wasm = info.wasm
    ? `SIMD ${info.wasm.simd ? 'on' : 'off'}, multithreading ${info.wasm.multithreading ? 'on' : 'off'}, ${info.wasm.threads} thread${info.wasm.threads === 1 ? '' : 's'}`
    : null;
  return [
    h('p', { class: 'headline', 'data-testid': 'backend' }, 'Backend: ', tag(info.backend), ' ', BACKEND_NAMES[info.backend] ?? info.backend),
    h('p', { class: 'muted' }, `Chosen because ${info.reason}.`),
    facts([
      ['TensorFlow.js', info.tfjsVersion],
      ['Worker pid', String(info.pid)],
      ['Node.js', `${info.nodeVersion} (${info.platform}-${info.arch})`],
      ['Started in', `${info.startupMilliseconds} ms`],
      ...(wasm ? ([['WebAssembly', wasm]] as Array<[string, string]>) : []),
      ['Native backend', h('span', {}, 'looked for in ', ...info.nativeSearchPaths.flatMap((folder, i) => [i ? ', ' : '', h('code', {}, folder)]))],
    ]),
    h('h2', {}, 'Backends tried'),
    h('table', { class: 'grid' }, h('tr', {}, h('th', {}, 'Backend'), h('th', {}, 'Result'), h('th', {}, 'Time'), h('th', {}, 'Why not')), ...info.attempts.map(attemptRow)),
  ];
}

function render(state: EngineInfoViewState): void {
  host.setState(state);
  const body: Array<HTMLElement | string> =
    state.status === 'ready'
      ? renderReady(state.info)
      : state.status === 'failed'
        ? [h('p', { class: 'error', role: 'alert' }, state.message)]
        : [h('p', { class: 'muted' }, 'Starting the engine…')];
  const native = state.status === 'ready' && state.info.backend === 'tensorflow';
  root.replaceChildren(
    h('h1', {}, 'Deep Learning Kit Engine'),
    ...body,
    h(
      'div',
      { class: 'actions' },
      button('Restart Engine', () => host.post({ type: 'restart' })),
      native ? null : button('Install Native TensorFlow Backend', () => host.post({ type: 'installNative' })),
      state.status === 'ready' ? button('Copy as JSON', () => host.post({ type: 'copy' })) : null,
    ),
  );
}

host.onMessage((message) => {
  if (message.type === 'state') render(message.state);
});
render(host.getState() ?? { status: 'starting' });
host.post({ type: 'ready' });
