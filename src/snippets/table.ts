/**
 * The README's snippet table, built from the snippet files' parsed contents (no vscode, no fs:
 * scripts/snippets/readme-table.mjs and the unit tests read the files and call these).
 *
 * Row order: whole architectures first, then building blocks. Within each, names are grouped by
 * what follows the style prefix (`torch-cnn`, `keras-cnn` and `tf-cnn` are all "cnn"), so the three
 * styles of one model sit on adjacent rows; groups follow the README's order of families (CNN,
 * RNN, GAN, Transformer, Autoencoder), then the rest alphabetically; inside a group the styles are
 * in file-name order (keras, pytorch, tensorflow).
 */

/** One entry of a VS Code snippet file. */
export interface SnippetEntry {
  prefix: string | string[];
  description?: string;
  body: string | string[];
}

/** A snippet file's contents: snippet name → entry. */
export type SnippetFile = Record<string, SnippetEntry>;

/** A snippet file and its style: the file name without `.json` (keras, pytorch, tensorflow). */
export interface SnippetSource {
  style: string;
  snippets: SnippetFile;
}

export interface SnippetRow {
  prefixes: string[];
  style: string;
  description: string;
  /** The prefix after the style word: `torch-transformer-encoder` → `transformer-encoder`. */
  group: string;
  kind: SnippetKind;
}

export type SnippetKind = 'architecture' | 'building block';

export const TABLE_START = '<!-- snippets:start -->';
export const TABLE_END = '<!-- snippets:end -->';

/**
 * The model families the README promises, each with the first word(s) of a snippet name that
 * stand for a whole model of that family, in README order.
 */
export const ARCHITECTURE_FAMILIES: ReadonlyArray<{ family: string; heads: readonly string[] }> = [
  { family: 'cnn', heads: ['cnn', 'resnet', 'unet'] },
  { family: 'rnn', heads: ['rnn', 'lstm', 'gru', 'bilstm', 'seq2seq'] },
  { family: 'gan', heads: ['gan', 'dcgan', 'wgan', 'cgan'] },
  { family: 'transformer', heads: ['transformer', 'vit'] },
  { family: 'autoencoder', heads: ['autoencoder', 'conv-autoencoder', 'vae'] },
  { family: 'mlp', heads: ['mlp'] },
];

/**
 * Words that make a name a part of a model or of its training rather than a whole model:
 * `cnn-block`, `lstm-cell`, `gan-loss`, `transformer-encoder-layer`, `train-loop`.
 */
export const BUILDING_BLOCK_WORDS: ReadonlySet<string> = new Set([
  'block', 'layer', 'layers', 'cell', 'loss', 'step', 'loop', 'train', 'training', 'eval', 'head',
  'attention', 'embedding', 'encoding', 'residual', 'init', 'callback', 'callbacks', 'dataset', 'data',
]);

/** The style word that starts each file's prefixes. */
export const STYLE_PREFIX: Readonly<Record<string, string>> = { pytorch: 'torch', keras: 'keras', tensorflow: 'tf' };

/** `torch-cnn` → `cnn`; a prefix without a dash is its own group. */
export function snippetGroup(prefix: string): string {
  const dash = prefix.indexOf('-');
  return dash < 0 ? prefix : prefix.slice(dash + 1);
}

/** The architecture family a group belongs to (by its first words), or undefined. */
export function snippetFamily(group: string): string | undefined {
  let best: { family: string; head: string } | undefined;
  for (const { family, heads } of ARCHITECTURE_FAMILIES) {
    for (const head of heads) {
      if ((group === head || group.startsWith(`${head}-`)) && (!best || head.length > best.head.length)) best = { family, head };
    }
  }
  return best?.family;
}

/**
 * A whole model: the name starts with an architecture word (cnn, lstm, gan, transformer, vae, …)
 * and has no building-block word (block, layer, loss, train, …). `transformer-encoder` is an
 * architecture, `transformer-encoder-layer` and `cnn-block` are building blocks.
 */
export function snippetKind(group: string): SnippetKind {
  if (snippetFamily(group) === undefined) return 'building block';
  return group.split('-').some((word) => BUILDING_BLOCK_WORDS.has(word)) ? 'building block' : 'architecture';
}

function prefixesOf(entry: SnippetEntry): string[] {
  return Array.isArray(entry.prefix) ? entry.prefix : [entry.prefix];
}

/** Every snippet of every source as a row, in table order. */
export function snippetRows(sources: readonly SnippetSource[]): SnippetRow[] {
  const rows: SnippetRow[] = [];
  for (const { style, snippets } of sources) {
    for (const [name, entry] of Object.entries(snippets)) {
      const prefixes = prefixesOf(entry);
      const first = prefixes[0];
      if (typeof first !== 'string' || first === '') throw new Error(`${style}: snippet "${name}" has no prefix`);
      const group = snippetGroup(first);
      rows.push({ prefixes, style, description: entry.description ?? '', group, kind: snippetKind(group) });
    }
  }
  const familyOrder = (group: string): number => {
    const family = snippetFamily(group);
    const index = ARCHITECTURE_FAMILIES.findIndex((f) => f.family === family);
    return index < 0 ? ARCHITECTURE_FAMILIES.length : index;
  };
  const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return rows.sort(
    (a, b) =>
      compare(a.kind === 'architecture' ? '0' : '1', b.kind === 'architecture' ? '0' : '1') ||
      familyOrder(a.group) - familyOrder(b.group) ||
      compare(a.group, b.group) ||
      compare(a.style, b.style) ||
      compare(a.prefixes[0] as string, b.prefixes[0] as string),
  );
}

/** Text that is safe inside one Markdown table cell. */
export function markdownCell(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;');
}

/** The Markdown table (prefix | style | what it inserts), ending with a newline. */
export function snippetTable(sources: readonly SnippetSource[]): string {
  const lines = ['| Prefix | Style | What it inserts |', '|---|---|---|'];
  for (const row of snippetRows(sources)) {
    const prefixes = row.prefixes.map((p) => `\`${p}\``).join(', ');
    lines.push(`| ${prefixes} | ${markdownCell(row.style)} | ${markdownCell(row.description)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** What goes between the markers: a note for editors, then the table. */
export function snippetSection(sources: readonly SnippetSource[]): string {
  return (
    '\n<!-- Generated from snippets/*.json by `node scripts/snippets/readme-table.mjs`: edit those files, then run it. -->\n' +
    snippetTable(sources)
  );
}

/** Parses snippet files given as (file name, text); the style is the file name without `.json`. */
export function snippetSources(files: ReadonlyArray<{ name: string; text: string }>): SnippetSource[] {
  return [...files]
    .filter((file) => file.name.endsWith('.json'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((file) => {
      let snippets: unknown;
      try {
        snippets = JSON.parse(file.text);
      } catch (error) {
        throw new Error(`snippets/${file.name} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!snippets || typeof snippets !== 'object' || Array.isArray(snippets)) {
        throw new Error(`snippets/${file.name} is not an object of name → snippet`);
      }
      return { style: file.name.replace(/\.json$/, ''), snippets: snippets as SnippetFile };
    });
}

export class MarkersError extends Error {
  override name = 'MarkersError';
}

/** Where the generated part of the README is: between the end of the start marker and the end marker. */
function markerRange(readme: string): { from: number; to: number } {
  const starts = readme.split(TABLE_START).length - 1;
  const ends = readme.split(TABLE_END).length - 1;
  const hint = `README.md needs the snippet table markers, each once, on their own lines:\n  ${TABLE_START}\n  ${TABLE_END}`;
  if (starts === 0 || ends === 0) {
    throw new MarkersError(`${starts === 0 ? TABLE_START : TABLE_END} is missing. ${hint}`);
  }
  if (starts > 1 || ends > 1) throw new MarkersError(`the snippet table markers appear more than once. ${hint}`);
  const from = readme.indexOf(TABLE_START) + TABLE_START.length;
  const to = readme.indexOf(TABLE_END);
  if (to < from) throw new MarkersError(`${TABLE_END} comes before ${TABLE_START}. ${hint}`);
  return { from, to };
}

/** The text between the markers now. */
export function currentSection(readme: string): string {
  const { from, to } = markerRange(readme);
  return readme.slice(from, to);
}

/** The README with the text between the markers replaced by `section`. */
export function replaceSection(readme: string, section: string): string {
  const { from, to } = markerRange(readme);
  return readme.slice(0, from) + section + readme.slice(to);
}
