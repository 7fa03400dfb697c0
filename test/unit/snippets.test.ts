/** snippets/*.json: the rules every snippet file and every snippet follows. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { expandSnippet } from '../../src/snippets/expand';
import { ARCHITECTURE_FAMILIES, STYLE_PREFIX, snippetFamily, snippetGroup, snippetKind } from '../../src/snippets/table';
import { JS_PATTERNS } from '../../scripts/grammar/tensor-shape.mjs';

// Tests run from the repository root (the bundled test file lives in out/unit).
const snippetsDir = path.join(process.cwd(), 'snippets');
const PREFIX_SCHEME = /^(torch|keras|tf)-[a-z0-9]+(-[a-z0-9]+)*$/;
const MIN_SNIPPETS = 60;

interface Loaded {
  file: string;
  style: string;
  /** undefined when the file is not valid JSON (the JSON test says why) */
  entries?: Array<[string, Record<string, unknown>]>;
  error?: string;
}

// Read everything up front, but never throw here: a throw while mocha loads this file would stop
// every other unit test file too.
const files: Loaded[] = (existsSync(snippetsDir) ? readdirSync(snippetsDir) : [])
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((file) => {
    const style = file.replace(/\.json$/, '');
    try {
      const parsed: unknown = JSON.parse(readFileSync(path.join(snippetsDir, file), 'utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { file, style, error: 'the top level is not an object' };
      return { file, style, entries: Object.entries(parsed as Record<string, Record<string, unknown>>) };
    } catch (error) {
      return { file, style, error: error instanceof Error ? error.message : String(error) };
    }
  });

const all = files.flatMap(({ file, style, entries }) =>
  (entries ?? []).map(([name, entry]) => ({ file, style, name, entry, where: `${file}: "${name}"` })),
);

function prefixesOf(entry: Record<string, unknown>): string[] {
  const prefix = entry['prefix'];
  if (typeof prefix === 'string') return [prefix];
  if (Array.isArray(prefix) && prefix.every((p) => typeof p === 'string')) return prefix as string[];
  return [];
}

function bodyOf(entry: Record<string, unknown>): string[] {
  const body = entry['body'];
  return Array.isArray(body) && body.every((line) => typeof line === 'string') ? (body as string[]) : [];
}

/** Tab stops (`$1`, `${2}`, `${3:default}`, `${4|a,b|}`) and choices of a snippet body. */
function tabStops(text: string): { stops: number[]; choices: Array<{ stop: number; options: string[] }> } {
  const stops: number[] = [];
  const choices: Array<{ stop: number; options: string[] }> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++; // `\$`, `\}`, `\\`: the next character is literal
      continue;
    }
    if (c !== '$') continue;
    const match = /^\$(?:(\d+)|\{(\d+)([:|}]))/.exec(text.slice(i));
    if (!match) continue;
    const stop = Number(match[1] ?? match[2]);
    stops.push(stop);
    if (match[3] === '|') {
      const start = i + match[0].length;
      const end = text.indexOf('|}', start);
      const options = (end < 0 ? '' : text.slice(start, end)).split(/(?<!\\),/);
      choices.push({ stop, options });
      if (end >= 0) i = end + 1;
    }
  }
  return { stops, choices };
}

// The shape comments that syntaxes/tensor-shape.injection.tmLanguage.json highlights: the same
// regex as the grammar's, from the module that generates it, in JavaScript's flavor.
const SHAPE = new RegExp(JS_PATTERNS.shape);

/** The `#` comment of a line of Python, if any (quotes on the same line are skipped). */
function commentOf(line: string): string | undefined {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(i);
  }
  return undefined;
}

function shapeComments(code: string): string[] {
  return code
    .split('\n')
    .map(commentOf)
    .filter((comment): comment is string => comment !== undefined && SHAPE.test(comment));
}

describe('snippet files', () => {
  it('exist for pytorch, keras and tensorflow', () => {
    const styles = files.map((f) => f.style);
    for (const style of Object.keys(STYLE_PREFIX)) assert.ok(styles.includes(style), `snippets/${style}.json is missing`);
    for (const style of styles) assert.ok(style in STYLE_PREFIX, `snippets/${style}.json: unknown style (expected ${Object.keys(STYLE_PREFIX).join(', ')})`);
  });

  for (const { file, error } of files) {
    it(`${file} is valid JSON: an object of name → snippet`, () => {
      assert.equal(error, undefined, `${file}: ${error}`);
    });
  }

  it(`hold at least ${MIN_SNIPPETS} snippets in all`, () => {
    assert.ok(all.length >= MIN_SNIPPETS, `${all.length} snippets (${files.map((f) => `${f.file}: ${f.entries?.length ?? 0}`).join(', ')})`);
  });
});

describe('every snippet', () => {
  it('has a prefix, a non-empty description and a body array of strings', () => {
    const problems: string[] = [];
    for (const { where, entry } of all) {
      if (prefixesOf(entry).length === 0) problems.push(`${where}: no prefix (a string, or an array of strings)`);
      if (typeof entry['description'] !== 'string' || entry['description'].trim() === '') problems.push(`${where}: no description`);
      if (!Array.isArray(entry['body']) || bodyOf(entry).length === 0) problems.push(`${where}: the body is not a non-empty array of strings`);
    }
    assert.deepEqual(problems, []);
  });

  it('has a prefix that is unique across all files', () => {
    const seen = new Map<string, string>();
    const problems: string[] = [];
    for (const { where, entry } of all) {
      for (const prefix of prefixesOf(entry)) {
        const before = seen.get(prefix);
        if (before) problems.push(`"${prefix}" is used by ${before} and ${where}`);
        else seen.set(prefix, where);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('has prefixes of the form style-words, with the style of its file (pytorch → torch-, keras → keras-, tensorflow → tf-)', () => {
    const problems: string[] = [];
    for (const { where, style, entry } of all) {
      for (const prefix of prefixesOf(entry)) {
        if (!PREFIX_SCHEME.test(prefix)) problems.push(`${where}: "${prefix}" does not match ${PREFIX_SCHEME}`);
        else if (prefix.split('-')[0] !== STYLE_PREFIX[style]) problems.push(`${where}: "${prefix}" should start with ${STYLE_PREFIX[style] ?? '?'}-`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('expands (defaults and first choices) without a snippet syntax error', () => {
    const problems: string[] = [];
    for (const { where, entry } of all) {
      try {
        expandSnippet(bodyOf(entry));
      } catch (error) {
        problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('offers at least two options in every choice ${n|a,b|}', () => {
    const problems: string[] = [];
    for (const { where, entry } of all) {
      for (const { stop, options } of tabStops(bodyOf(entry).join('\n')).choices) {
        if (options.length < 2 || options.some((o) => o === '')) problems.push(`${where}: choice \${${stop}|${options.join(',')}|}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('numbers its tab stops $1..$k without gaps ($0 is the final cursor)', () => {
    const problems: string[] = [];
    for (const { where, entry } of all) {
      const used = [...new Set(tabStops(bodyOf(entry).join('\n')).stops.filter((n) => n !== 0))].sort((a, b) => a - b);
      const expected = used.map((_, i) => i + 1);
      if (used.join() !== expected.join()) problems.push(`${where}: tab stops ${used.map((n) => `$${n}`).join(' ')}`);
    }
    assert.deepEqual(problems, []);
  });
});

describe('architecture snippets', () => {
  const architectures = all.filter(({ entry }) => {
    const prefix = prefixesOf(entry)[0];
    return prefix !== undefined && snippetKind(snippetGroup(prefix)) === 'architecture';
  });

  it('exist in every style for each family the README lists (CNN, RNN, GAN, Transformer, Autoencoder)', () => {
    const missing: string[] = [];
    for (const family of ARCHITECTURE_FAMILIES.map((f) => f.family).filter((f) => f !== 'mlp')) {
      for (const style of Object.keys(STYLE_PREFIX)) {
        const found = architectures.some((s) => s.style === style && snippetFamily(snippetGroup(prefixesOf(s.entry)[0] as string)) === family);
        if (!found) missing.push(`${style}: ${family}`);
      }
    }
    assert.deepEqual(missing, [], `no architecture snippet for: ${missing.join('; ')}`);
  });

  it('comment the tensor shapes, e.g. `# (B, C, H, W)`, at least once each', () => {
    const problems: string[] = [];
    for (const { where, entry } of architectures) {
      let code: string;
      try {
        code = expandSnippet(bodyOf(entry));
      } catch {
        continue; // the expansion test reports it
      }
      if (shapeComments(code).length === 0) problems.push(`${where}: no tensor-shape comment`);
    }
    assert.deepEqual(problems, []);
  });
});

describe('snippet test helpers', () => {
  it('tabStops finds numbered stops, placeholders and choices, and skips escapes and variables', () => {
    const { stops, choices } = tabStops('a = ${1:x} + $2 * ${3|relu,gelu|} \\$4 $TM_FILENAME ${5} $0');
    assert.deepEqual(stops, [1, 2, 3, 5, 0]);
    assert.deepEqual(choices, [{ stop: 3, options: ['relu', 'gelu'] }]);
    assert.deepEqual(tabStops('${1|only|}').choices, [{ stop: 1, options: ['only'] }]);
    assert.deepEqual(tabStops('${1|a\\,b,c|}').choices[0]?.options, ['a\\,b', 'c']);
  });

  it('shapeComments finds shape comments and ignores other brackets', () => {
    assert.deepEqual(shapeComments('x = conv(x)  # (B, C, H, W)\ny = 1  # (see the paper)'), ['# (B, C, H, W)']);
    for (const comment of ['# (B, 3, 224, 224) -> (B, 64, 112, 112)', '# [N, T, H]', '# shape: (B, 10)', '# (B,)', '# (None, 28, 28, 1)', '# (B, H//2, 2*C)', '# (*, H_in)', '# (B, 2C, H/4, W/4)']) {
      assert.equal(shapeComments(comment).length, 1, comment);
    }
    for (const comment of ['# TODO (later)', '# (0.5, 0.5)', '# (1e-3, 0.9)', '# (2nd pass)', '# (1st, 2nd)', '# f(a, b)', '# x[0, 1]', '# (B)', '# ()', "s = '# (B, C)'"]) {
      assert.deepEqual(shapeComments(comment), [], comment);
    }
  });
});
