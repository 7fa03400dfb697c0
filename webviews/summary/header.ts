/** The top of the page: title, copy actions, the key-number cards, and what the user must know first. */
import type { ModelSummary, RunResult, TensorSpec } from '../../src/protocol/model';
import type { CopyFormat } from '../../src/protocol/summaryView';
import { button, h, type Child } from '../shared/ui';
import type { PageContext } from './context';
import { formatBytes, formatInteger, formatMacs, formatShape, isModuleTree, markdownSummary, summaryText } from './format';

function card(label: string, value: Child, detail: Child, options: { testId?: string; title?: string; text?: boolean } = {}): HTMLElement {
  const valueAttributes: Record<string, string> = { class: options.text ? 'card-value text' : 'card-value' };
  if (options.testId) valueAttributes['data-testid'] = options.testId;
  const attributes: Record<string, string> = { class: 'card', role: 'group', 'aria-label': label };
  if (options.title) attributes.title = options.title;
  return h('div', attributes, h('div', { class: 'card-label' }, label), h('div', valueAttributes, value), detail ? h('div', { class: 'card-detail' }, detail) : null);
}

function dtypeBreakdown(summary: ModelSummary): string {
  return Object.entries(summary.weightBytesByDtype)
    .sort((a, b) => b[1] - a[1])
    .map(([dtype, bytes]) => `${dtype} ${formatBytes(bytes)}`)
    .join(' · ');
}

/** The cards; rebuilt when a run finishes, to add the backend. */
export function summaryCards(summary: ModelSummary, run: RunResult | undefined): HTMLElement {
  if (summary.format === 'hdf5-data') {
    const entries = summary.contents ?? [];
    const datasets = entries.filter((entry) => entry.kind === 'dataset').length;
    return h(
      'div',
      { class: 'cards' },
      card('Format', summary.formatLabel, summary.producer || null, { text: true }),
      card('File size', formatBytes(summary.fileBytes), `${formatInteger(summary.fileBytes)} bytes`),
      card('Contents', `${formatInteger(datasets)} dataset${datasets === 1 ? '' : 's'}`, `${formatInteger(entries.length - datasets)} groups`),
    );
  }
  const cards: HTMLElement[] = [
    card('Format', summary.formatLabel, summary.producer || null, { title: summary.producer ? `${summary.formatLabel}, written by ${summary.producer}` : summary.formatLabel, text: true }),
    card('File size', formatBytes(summary.fileBytes), `${formatInteger(summary.fileBytes)} bytes`),
    card(
      'Total params',
      formatInteger(summary.totalParams),
      `${formatInteger(summary.trainableParams)} trainable · ${formatInteger(summary.nonTrainableParams)} non-trainable`,
      { testId: 'total-params' },
    ),
  ];
  if (summary.hasArchitecture && summary.layers.length > 0) {
    cards.push(
      card('MACs', formatMacs(summary.macs, summary.macsComplete), summary.macsComplete ? 'per sample' : 'at least; some layers have no MAC rule', {
        title: `${summary.macsComplete ? '' : 'At least '}${formatInteger(summary.macs)} multiply-accumulates for one sample`,
      }),
    );
  }
  const breakdown = dtypeBreakdown(summary);
  cards.push(card('Weight memory', formatBytes(summary.weightBytes), breakdown || null, { title: breakdown ? `By dtype: ${breakdown}` : 'No weights' }));
  if (run) cards.push(card('Backend', run.backend, `warm pass ${run.warmMs.toFixed(1)} ms`));
  return h('div', { class: 'cards' }, ...cards);
}

function specList(specs: TensorSpec[]): string {
  return specs.map((spec) => `${spec.name} ${formatShape(spec.shape)} ${spec.dtype}`).join(', ');
}

/** What the user must know before reading the numbers: unsupported layers, weights-only, data file, warnings. */
export function notices(summary: ModelSummary): HTMLElement[] {
  const parts: HTMLElement[] = [];
  if (summary.inputs.length > 0 || summary.outputs.length > 0) {
    parts.push(
      h(
        'p',
        { class: 'signature' },
        summary.inputs.length ? h('span', {}, h('span', { class: 'muted' }, 'Inputs: '), h('code', {}, specList(summary.inputs))) : null,
        summary.outputs.length ? h('span', {}, h('span', { class: 'muted' }, 'Outputs: '), h('code', {}, specList(summary.outputs))) : null,
      ),
    );
  }
  if (summary.unsupportedLayers.length > 0) {
    parts.push(
      h(
        'div',
        { class: 'banner warning', role: 'note' },
        h('strong', {}, `Cannot run in TensorFlow.js: ${summary.unsupportedLayers.join(', ')}`),
        ' — the static summary below is complete.',
      ),
    );
  }
  if (isModuleTree(summary)) {
    parts.push(
      h(
        'div',
        { class: 'banner info', role: 'note', 'data-testid': 'pytorch-notice' },
        h('strong', {}, summary.format === 'torchscript' ? 'A TorchScript module: its code is listed, never run.' : 'This file holds tensors, not the forward pass.'),
        ' The module tree below comes from the tensor names and shapes',
        namesModuleClasses(summary) ? ' and the classes the file names' : '',
        '; output shapes and MACs need the model code. Nothing in the file was executed.',
      ),
    );
  } else if (!summary.hasArchitecture && summary.format !== 'hdf5-data' && !summary.graph) {
    parts.push(h('div', { class: 'banner info', role: 'note' }, h('strong', {}, 'This file holds weights only; the architecture is not in it.'), ' Its weight tensors are listed below.'));
  }
  const facts = fileFacts(summary);
  if (facts) parts.push(facts);
  if (summary.format === 'hdf5-data') {
    parts.push(
      h(
        'div',
        { class: 'banner info', role: 'note' },
        h('strong', {}, 'This HDF5 file is not a Keras model.'),
        ' It has no model configuration and no layer weights; here is what it holds.',
      ),
    );
  }
  if (summary.warnings.length > 0) {
    parts.push(
      h(
        'details',
        { class: 'warnings', open: '' },
        h('summary', {}, `${summary.warnings.length} warning${summary.warnings.length === 1 ? '' : 's'}`),
        h('ul', {}, ...summary.warnings.map((warning) => h('li', {}, warning))),
      ),
    );
  }
  return parts;
}

/** Whether a pickle names classes of its own (a whole model), beyond torch's tensor plumbing. */
function namesModuleClasses(summary: ModelSummary): boolean {
  return (summary.referencedGlobals ?? []).some((name) => !/^(torch|collections|builtins|_codecs|numpy)\./.test(name));
}

/** Checkpoint facts, ONNX opsets and external data, classes a pickle names, TorchScript code files. */
function fileFacts(summary: ModelSummary): HTMLElement | null {
  const rows: Array<[string, Child]> = (summary.facts ?? []).map((fact) => [fact.label, fact.value]);
  if (summary.onnx) {
    rows.push(['ONNX IR version', String(summary.onnx.irVersion)]);
    rows.push(['Opsets', summary.onnx.opsets.map((opset) => `${opset.domain || 'ai.onnx'} ${opset.version}`).join(', ')]);
    if (summary.onnx.customDomains.length) rows.push(['Custom domains', summary.onnx.customDomains.join(', ')]);
    for (const external of summary.onnx.externalData) {
      rows.push([`External data: ${external.tensor}`, external.problem ? `${external.location} — ${external.problem}` : external.location]);
    }
  }
  if (summary.referencedGlobals?.length) {
    rows.push(['Names in the pickle (not run)', h('span', {}, ...summary.referencedGlobals.flatMap((name, i) => [i ? ', ' : '', h('code', {}, name)]))]);
  }
  if (summary.codeFiles?.length) {
    rows.push(['Code files', h('span', {}, ...summary.codeFiles.flatMap((name, i) => [i ? ', ' : '', h('code', {}, name)]))]);
  }
  if (rows.length === 0) return null;
  return h(
    'details',
    { class: 'file-facts', open: '', 'data-testid': 'file-facts' },
    h('summary', {}, 'About this file'),
    h('table', { class: 'facts' }, ...rows.map(([label, value]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, value)))),
  );
}

const COPY_NAMES: Record<CopyFormat, string> = { text: 'text', markdown: 'Markdown', json: 'JSON' };

/** The text "Copy" puts on the clipboard, at the depth the table shows. */
export function copyText(summary: ModelSummary, format: CopyFormat, depth: number | null): string {
  switch (format) {
    case 'text':
      return summaryText(summary, { depth: depth ?? Number.POSITIVE_INFINITY });
    case 'markdown':
      return markdownSummary(summary, depth === null ? {} : { depth });
    case 'json':
      return JSON.stringify(summary, null, 2) + '\n';
  }
}

export interface Header {
  element: HTMLElement;
  update(run: RunResult | undefined): void;
  copied(format: CopyFormat): void;
}

export function header(context: PageContext, fileName: string, relativePath: string): Header {
  const { summary } = context;
  const status = h('span', { class: 'copy-status muted', role: 'status', 'aria-live': 'polite' });
  const copy = (format: CopyFormat) => () => context.post({ type: 'copy', format, text: copyText(summary, format, context.view.depth) });
  const actions = h(
    'div',
    { class: 'header-actions' },
    status,
    button('Copy as Text', copy('text'), { title: "The Keras model.summary() layout, at the depth shown", testId: 'copy-text' }),
    button('Copy as Markdown', copy('markdown'), { title: 'A Markdown table with every column, at the depth shown', testId: 'copy-markdown' }),
    button('Copy as JSON', copy('json'), { title: 'The whole summary as JSON' }),
    button('Reopen as Text/Hex', () => context.post({ type: 'reopenAsText' }), { title: 'Open the file in the text or hex editor' }),
  );
  let cards = summaryCards(summary, context.state().run?.result);
  const element = h(
    'header',
    { class: 'summary-header' },
    h(
      'div',
      { class: 'title-row' },
      h('div', { class: 'title' }, h('h1', {}, fileName), relativePath && relativePath !== fileName ? h('span', { class: 'muted path' }, relativePath) : null),
      actions,
    ),
    cards,
    ...notices(summary),
  );
  let statusTimer = 0;
  return {
    element,
    update(run) {
      const next = summaryCards(summary, run);
      cards.replaceWith(next);
      cards = next;
    },
    copied(format) {
      status.textContent = `Copied as ${COPY_NAMES[format]}`;
      clearTimeout(statusTimer);
      statusTimer = window.setTimeout(() => (status.textContent = ''), 3000);
    },
  };
}
