/**
 * Pure text formatting for model summaries: numbers, shapes, sizes, and the
 * "Copy as text" (Keras `model.summary()` layout) and "Copy as Markdown"
 * documents. No DOM here: the CLI can print the same text.
 */
import type { LayerSummary, ModelSummary, Shape, TensorSpec, WeightTensor } from '../../src/protocol/model';

// ---------------------------------------------------------------------------
// Numbers, shapes, sizes

/** 1234567 -> "1,234,567"; non-finite -> "—". */
export function formatInteger(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const rounded = Math.round(value);
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return rounded < 0 ? `-${digits}` : digits;
}

/** A shape as Keras prints it: `(None, 28, 28, 32)`, `(None,)`, `()`. */
export function formatShape(shape: Shape): string {
  const dims = shape.map((dim) => (dim === null ? 'None' : String(dim)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

/** One shape as a tuple, several as a list of tuples, none as "?". */
export function formatOutputShapes(shapes: Shape[]): string {
  if (shapes.length === 0) return '?';
  if (shapes.length === 1) return formatShape(shapes[0] as Shape);
  return `[${shapes.map(formatShape).join(', ')}]`;
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Binary multiples, as VS Code shows file sizes: 1536 -> "1.5 KB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${value} B`;
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${BYTE_UNITS[unit]}`;
}

const COMPACT_UNITS: Array<[number, string]> = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'K'],
];

/** Decimal multiples with three significant digits: 1234567 -> "1.23 M". */
export function formatCompact(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const magnitude = Math.abs(value);
  for (const [scale, suffix] of COMPACT_UNITS) {
    if (magnitude >= scale) return `${toSignificant(value / scale, 3)} ${suffix}`;
  }
  return String(Math.round(value));
}

/** MACs for the header: a lower bound ("≥") when some layer had no rule. */
export function formatMacs(macs: number, complete: boolean): string {
  return `${complete ? '' : '≥ '}${formatCompact(macs)}`;
}

/** Share of a total: "12.3%", "<0.1%" for tiny non-zero parts, "0%" for none. */
export function formatPercent(part: number, total: number): string {
  if (!(total > 0) || !(part > 0)) return '0%';
  const percent = (part / total) * 100;
  if (percent < 0.1) return '<0.1%';
  return `${percent.toFixed(1)}%`;
}

/** Milliseconds: "0.42 ms", "12.3 ms", "1.25 s". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** A tensor statistic: four significant digits, exponent form when very large or small. */
export function formatStat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Inf' : '-Inf';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(3).replace(/\.?0+e/, 'e');
  return toSignificant(value, 4);
}

function toSignificant(value: number, digits: number): string {
  const text = value.toPrecision(digits);
  // toPrecision may answer in exponent form (1e+3); Number() brings it back to plain digits.
  const plain = text.includes('e') ? String(Number(text)) : text;
  return plain.includes('.') ? plain.replace(/\.?0+$/, '') : plain;
}

/** A layer's display name: the nested path for layers inside a nested model. */
export function layerLabel(layer: Pick<LayerSummary, 'id' | 'name' | 'depth'>): string {
  return layer.depth > 0 ? layer.id : layer.name;
}

/** The model's name when the summary carries one, else the file name without its extension. */
export function modelName(summary: ModelSummary): string {
  if (summary.name) return summary.name;
  const base = summary.file.split(/[\\/]/).pop() ?? summary.file;
  const stem = base.replace(/\.(h5|hdf5|keras|json)$/i, '');
  return stem === 'model' ? (summary.file.split(/[\\/]/).slice(-2, -1)[0] ?? stem) : stem;
}

/** Bytes of the trainable and the non-trainable weights, as stored. */
export function weightBytesByTrainability(weights: WeightTensor[]): { trainable: number; nonTrainable: number } {
  let trainable = 0;
  let nonTrainable = 0;
  for (const weight of weights) {
    if (weight.trainable) trainable += weight.bytes;
    else nonTrainable += weight.bytes;
  }
  return { trainable, nonTrainable };
}

/** Operation counts of a graph model, most frequent first (ties by name). */
export function opCounts(nodes: Array<{ op: string }>): Array<{ op: string; count: number }> {
  const counts = new Map<string, number>();
  for (const node of nodes) counts.set(node.op, (counts.get(node.op) ?? 0) + 1);
  return [...counts.entries()]
    .map(([op, count]) => ({ op, count }))
    .sort((a, b) => b.count - a.count || (a.op < b.op ? -1 : a.op > b.op ? 1 : 0));
}

// ---------------------------------------------------------------------------
// Keras model.summary() layout (tf.keras 2.x / tf-keras, the plain-text one)

export interface TextSummaryOptions {
  /**
   * Show nested models' layers down to this depth (Keras' `expand_nested`
   * for each level up to it). 0, the default, shows only the top level.
   */
  depth?: number;
}

/** Keras' `readable_memory_size`: two decimals, binary units, "Byte" for the smallest. */
function kerasMemorySize(bytes: number): string {
  const units = ['Byte', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  for (const unit of units) {
    if (value / 1024 < 1) return `${pythonFixed2(value)} ${unit}`;
    value /= 1024;
  }
  return `${pythonFixed2(value)} PB`;
}

/** Python's "{:.2f}": like toFixed(2), but an exact tie rounds to the even digit (1.125 -> "1.12"). */
function pythonFixed2(value: number): string {
  const scaled = value * 100;
  if (Number.isInteger(scaled * 2) && !Number.isInteger(scaled)) {
    const floor = Math.floor(scaled);
    return ((floor % 2 === 0 ? floor : floor + 1) / 100).toFixed(2);
  }
  return value.toFixed(2);
}

/** A Python `repr` of a string, as Keras' list of connections prints it. */
function pythonRepr(text: string): string {
  if (text.includes("'") && !text.includes('"')) return `"${text.replace(/\\/g, '\\\\')}"`;
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Keras lays out columns by absolute end positions; a cell too long for its
 * column continues on the next line, preferably right after "),", "},", "],"
 * or "',", so lists of shapes and connections break between items.
 */
function tableRow(fields: string[], positions: number[], nestedLevel: number): string[] {
  const left = [...fields];
  const lines: string[] = [];
  const lastColumn = positions.length - 1;
  while (left.some((text) => text.length > 0)) {
    let line = '';
    for (let col = 0; col < left.length; col++) {
      const start = col > 0 ? (positions[col - 1] as number) : 0;
      const end = positions[col] as number;
      const space = col !== lastColumn ? 2 : 0;
      let cutoff = end - start - space - (col !== lastColumn ? 1 : 0) - (col === 0 ? nestedLevel : 0);
      cutoff = Math.max(1, cutoff);
      const text = left[col] as string;
      let fit = text.slice(0, cutoff);
      const breaks = ['),', '},', '],', "',"].map((mark) => fit.indexOf(mark)).filter((at) => at >= 0);
      if (breaks.length > 0) {
        cutoff = Math.min(...breaks) + 2;
        fit = fit.slice(0, cutoff);
      }
      if (col === 0) line += `${'|'.repeat(nestedLevel)} `;
      line += fit + ' '.repeat(space);
      left[col] = text.slice(cutoff);
      const pad = (positions[col] as number) - line.length - (nestedLevel && col === lastColumn ? nestedLevel : 0);
      line += ' '.repeat(Math.max(0, pad));
    }
    lines.push(line + '|'.repeat(nestedLevel));
  }
  return lines;
}

/**
 * Keras drops "Connected to" when the model is a plain chain: one input, and
 * every layer fed by at most one layer and feeding at most one.
 */
function isSequentialLike(summary: ModelSummary, topLevel: LayerSummary[]): boolean {
  if (summary.modelClass === 'Sequential') return true;
  const consumers = new Map<string, number>();
  let sources = 0;
  for (const layer of topLevel) {
    if (layer.connectedTo.length > 1) return false;
    if (layer.connectedTo.length === 0) sources += 1;
    for (const input of layer.connectedTo) consumers.set(input, (consumers.get(input) ?? 0) + 1);
  }
  return sources <= 1 && [...consumers.values()].every((count) => count <= 1);
}

/** The output-shape cell: Keras prints an InputLayer's shape as a one-element list. */
function kerasShapeCell(layer: LayerSummary): string {
  if (layer.className === 'InputLayer' && layer.outputShapes.length === 1) return `[${formatOutputShapes(layer.outputShapes)}]`;
  return formatOutputShapes(layer.outputShapes);
}

/**
 * The summary as tf.keras 2.x prints it with `model.summary()`: 65 columns for
 * chains, 98 with "Connected to" for graphs; `depth` expands nested models the
 * way `expand_nested=True` does. Connections are written `name[0][0]`: the
 * summary keeps which layer feeds which, not the node and tensor indices.
 */
export function kerasSummaryText(summary: ModelSummary, options: TextSummaryOptions = {}): string {
  const maxDepth = options.depth ?? 0;
  const byId = new Map(summary.layers.map((layer) => [layer.id, layer]));
  const children = new Map<string | undefined, LayerSummary[]>();
  for (const layer of summary.layers) {
    const siblings = children.get(layer.parent) ?? [];
    siblings.push(layer);
    children.set(layer.parent, siblings);
  }
  const topLevel = children.get(undefined) ?? [];
  const sequentialLike = isSequentialLike(summary, topLevel);
  const lineLength = sequentialLike ? 65 : 98;
  const fractions = sequentialLike ? [0.45, 0.85, 1] : [0.3, 0.6, 0.7, 1];
  const positions = fractions.map((fraction) => Math.floor(lineLength * fraction));
  const header = sequentialLike ? ['Layer (type)', 'Output Shape', 'Param #'] : ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'];

  const lines: string[] = [`Model: "${modelName(summary)}"`, '_'.repeat(lineLength), ...tableRow(header, positions, 0), '='.repeat(lineLength)];

  const fieldsOf = (layer: LayerSummary): string[] => {
    const fields = [`${layer.name} (${layer.className})`, kerasShapeCell(layer), String(layer.params)];
    if (!sequentialLike) {
      const connections = layer.connectedTo.map((id) => pythonRepr(`${byId.get(id)?.name ?? id}[0][0]`));
      fields.push(`[${connections.join(', ')}]`);
    }
    return fields;
  };

  const printLayer = (layer: LayerSummary, level: number, isNestedLast: boolean): void => {
    lines.push(...tableRow(fieldsOf(layer), positions, level));
    const nested = children.get(layer.id) ?? [];
    // Keras prints no blank separator after an expanded nested model: its closing rule separates.
    let separated = isNestedLast;
    if (layer.isModel && nested.length > 0 && level < maxDepth) {
      lines.push('|'.repeat(level + 1) + '¯'.repeat(lineLength - 2 * level - 2) + '|'.repeat(level + 1));
      nested.forEach((child, index) => printLayer(child, level + 1, index === nested.length - 1));
      lines.push('|'.repeat(level) + '¯'.repeat(lineLength - 2 * level) + '|'.repeat(level));
      separated = true;
    }
    if (!separated) lines.push('|'.repeat(level) + ' '.repeat(lineLength - 2 * level) + '|'.repeat(level));
  };

  // A Keras Sequential does not list its InputLayer.
  const shown = summary.modelClass === 'Sequential' ? topLevel.filter((layer) => layer.className !== 'InputLayer') : topLevel;
  for (const layer of shown) printLayer(layer, 0, false);

  const bytes = weightBytesByTrainability(summary.weights);
  lines.push(
    '='.repeat(lineLength),
    `Total params: ${summary.totalParams} (${kerasMemorySize(bytes.trainable + bytes.nonTrainable)})`,
    `Trainable params: ${summary.trainableParams} (${kerasMemorySize(bytes.trainable)})`,
    `Non-trainable params: ${summary.nonTrainableParams} (${kerasMemorySize(bytes.nonTrainable)})`,
    '_'.repeat(lineLength),
  );
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------
// Plain text for files without a Keras architecture

/** Left-aligned columns separated by two spaces; numbers right-aligned where `right` says. */
export function alignColumns(rows: string[][], right: boolean[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, col) => (widths[col] = Math.max(widths[col] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, col) => {
        const width = widths[col] ?? 0;
        if (col === row.length - 1 && !right[col]) return cell;
        return right[col] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd(),
  );
}

function headline(summary: ModelSummary): string[] {
  return [
    `${fileBaseName(summary.file)}: ${summary.formatLabel}${summary.producer ? `, written by ${summary.producer}` : ''}`,
    `File size: ${formatBytes(summary.fileBytes)}`,
  ];
}

function fileBaseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

function weightRows(weights: WeightTensor[]): string[] {
  return alignColumns(
    [['Path', 'Shape', 'Dtype', 'Bytes'], ...weights.map((weight) => [weight.path, formatShape(weight.shape), weight.dtype, formatInteger(weight.bytes)])],
    [false, false, false, true],
  );
}

function specLine(spec: TensorSpec): string {
  return `${spec.name} ${formatShape(spec.shape)} ${spec.dtype}`;
}

/** PyTorch and safetensors files: rows are modules told by tensor names, with no forward pass behind them. */
export function isModuleTree(summary: { framework?: string }): boolean {
  return summary.framework === 'pytorch' || summary.framework === 'safetensors';
}

/**
 * "Copy as text" for any summary: the Keras layout when the file holds an
 * architecture, otherwise a plain listing of what it does hold.
 */
export function summaryText(summary: ModelSummary, options: TextSummaryOptions = {}): string {
  if (summary.hasArchitecture && summary.layers.length > 0) return kerasSummaryText(summary, options);
  const lines = headline(summary);
  if (summary.graph) {
    lines.push(
      `Inputs: ${summary.graph.inputs.map(specLine).join('; ') || 'none'}`,
      `Outputs: ${summary.graph.outputs.map(specLine).join('; ') || 'none'}`,
      `Ops: ${opCounts(summary.graph.nodes).map(({ op, count }) => `${op} ×${count}`).join(', ')}`,
      '',
      ...alignColumns([['Name', 'Op', 'Inputs'], ...summary.graph.nodes.map((node) => [node.name, node.op, node.inputs.join(', ')])]),
    );
  } else if (summary.format === 'hdf5-data') {
    lines.push('Not a Keras model. Contents:', '', ...alignColumns([['Path', 'Kind', 'Shape', 'Dtype'], ...(summary.contents ?? []).map((entry) => [entry.path, entry.kind, entry.shape ? formatShape(entry.shape) : '', entry.dtype ?? ''])]));
  } else if (summary.layers.length > 0 && isModuleTree(summary)) {
    lines.push(...moduleTreeText(summary, options.depth ?? Number.POSITIVE_INFINITY));
  } else {
    lines.push('Weights only: the architecture is not in this file.', '', ...weightRows(summary.weights));
  }
  lines.push('', `Total params: ${formatInteger(summary.totalParams)}`, `Weights: ${formatBytes(summary.weightBytes)}`);
  return lines.join('\n') + '\n';
}

/** PyTorch: the module tree the tensors tell, then the file's facts. */
function moduleTreeText(summary: ModelSummary, maxDepth: number): string[] {
  const rows = summary.layers
    .filter((layer) => layer.depth <= maxDepth)
    .map((layer) => [
      `${'  '.repeat(layer.depth)}${layer.name || '(root)'}`,
      layer.className,
      formatInteger(layer.params),
      Object.entries(layer.settings)
        .filter(([key]) => key !== 'type from')
        .map(([key, value]) => `${key}=${value}`)
        .join(', '),
    ]);
  const lines = [
    'The module tree comes from the tensor names and shapes; nothing in the file was run.',
    '',
    ...alignColumns([['Module', 'Type', 'Params', 'From the tensors'], ...rows], [false, false, true, false]),
  ];
  const facts = summary.facts ?? [];
  if (facts.length > 0) lines.push('', ...facts.map((fact) => `${fact.label}: ${fact.value}`));
  if (summary.referencedGlobals?.length) lines.push(`Names in the pickle (not run): ${summary.referencedGlobals.join(', ')}`);
  return lines;
}

// ---------------------------------------------------------------------------
// Markdown

/** Inline code that survives any content, including backticks and table pipes. */
export function markdownCode(text: string): string {
  if (text === '') return '';
  const escaped = text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const longestRun = Math.max(0, ...(escaped.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  return longestRun > 0 ? `${fence} ${escaped} ${fence}` : `${fence}${escaped}${fence}`;
}

/** Plain text in a table cell: Markdown punctuation escaped, no line breaks. */
export function markdownText(text: string): string {
  return text.replace(/[\\`*_{}[\]<>|#]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

function markdownTable(header: string[], align: Array<'l' | 'r' | 'c'>, rows: string[][]): string[] {
  const rule = align.map((a) => (a === 'r' ? '---:' : a === 'c' ? ':---:' : '---'));
  return [`| ${header.join(' | ')} |`, `| ${rule.join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

function markdownFacts(summary: ModelSummary): string[] {
  const lines = [
    `- **Format:** ${markdownText(summary.formatLabel)}${summary.producer ? `, written by ${markdownText(summary.producer)}` : ''}`,
    `- **File size:** ${formatBytes(summary.fileBytes)}`,
  ];
  if (summary.hasArchitecture || summary.totalParams > 0) {
    lines.push(
      `- **Total params:** ${formatInteger(summary.totalParams)} (trainable ${formatInteger(summary.trainableParams)}, non-trainable ${formatInteger(summary.nonTrainableParams)})`,
    );
  }
  if (summary.hasArchitecture) lines.push(`- **MACs (batch 1):** ${formatMacs(summary.macs, summary.macsComplete)}`);
  const byDtype = Object.entries(summary.weightBytesByDtype)
    .map(([dtype, bytes]) => `${dtype} ${formatBytes(bytes)}`)
    .join(', ');
  lines.push(`- **Weights:** ${formatBytes(summary.weightBytes)}${byDtype ? ` (${byDtype})` : ''}`);
  return lines;
}

/**
 * "Copy as Markdown": a heading, the key facts, and the layer table with
 * every column the page shows (down to `depth`), or what the file holds
 * when it has no architecture.
 */
export function markdownSummary(summary: ModelSummary, options: { depth?: number } = {}): string {
  const maxDepth = options.depth ?? Number.POSITIVE_INFINITY;
  const title = summary.modelClass ? `${markdownText(modelName(summary))} (${markdownText(summary.modelClass)})` : markdownText(fileBaseName(summary.file));
  const lines = [`### ${title}`, '', ...markdownFacts(summary), ''];
  if (summary.unsupportedLayers.length > 0) {
    lines.push(`> Cannot run in TensorFlow.js: ${summary.unsupportedLayers.map(markdownText).join(', ')}`, '');
  }
  if (summary.hasArchitecture && summary.layers.length > 0) {
    const names = new Map(summary.layers.map((layer) => [layer.id, layerLabel(layer)]));
    const rows = summary.layers
      .filter((layer) => layer.depth <= maxDepth)
      .map((layer) => [
        markdownCode(layerLabel(layer)),
        markdownText(layer.className),
        markdownCode(formatOutputShapes(layer.outputShapes)),
        formatInteger(layer.params),
        formatPercent(layer.params, summary.totalParams),
        layer.trainable ? 'yes' : 'no',
        layer.macs === null ? '—' : formatInteger(layer.macs),
        layer.connectedTo.map((id) => markdownCode(names.get(id) ?? id)).join(', '),
      ]);
    lines.push(...markdownTable(['Layer', 'Type', 'Output shape', 'Params', '% params', 'Trainable', 'MACs', 'Connected to'], ['l', 'l', 'l', 'r', 'r', 'c', 'r', 'l'], rows));
  } else if (summary.graph) {
    lines.push(
      `**Ops:** ${opCounts(summary.graph.nodes).map(({ op, count }) => `${markdownText(op)} ×${count}`).join(', ')}`,
      '',
      ...markdownTable(
        ['Name', 'Op', 'Inputs'],
        ['l', 'l', 'l'],
        summary.graph.nodes.map((node) => [markdownCode(node.name), markdownText(node.op), node.inputs.map(markdownCode).join(', ')]),
      ),
    );
  } else if (summary.format === 'hdf5-data') {
    lines.push(
      'Not a Keras model. Contents:',
      '',
      ...markdownTable(
        ['Path', 'Kind', 'Shape', 'Dtype'],
        ['l', 'l', 'l', 'l'],
        (summary.contents ?? []).map((entry) => [markdownCode(entry.path), entry.kind, entry.shape ? markdownCode(formatShape(entry.shape)) : '', markdownText(entry.dtype ?? '')]),
      ),
    );
  } else {
    lines.push(
      'Weights only: the architecture is not in this file.',
      '',
      ...markdownTable(
        ['Path', 'Layer', 'Shape', 'Dtype', 'Bytes'],
        ['l', 'l', 'l', 'l', 'r'],
        summary.weights.map((weight) => [markdownCode(weight.path), markdownCode(weight.layer), markdownCode(formatShape(weight.shape)), markdownText(weight.dtype), formatInteger(weight.bytes)]),
      ),
    );
  }
  if (summary.warnings.length > 0) lines.push('', '**Warnings**', '', ...summary.warnings.map((warning) => `- ${markdownText(warning)}`));
  return lines.join('\n') + '\n';
}
