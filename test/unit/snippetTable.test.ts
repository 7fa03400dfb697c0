/** src/snippets/table.ts: the README's snippet table, and whether README.md is up to date. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import {
  MarkersError,
  TABLE_END,
  TABLE_START,
  currentSection,
  markdownCell,
  replaceSection,
  snippetGroup,
  snippetKind,
  snippetRows,
  snippetSection,
  snippetSources,
  snippetTable,
  type SnippetSource,
} from '../../src/snippets/table';

// Tests run from the repository root (the bundled test file lives in out/unit).
const root = process.cwd();

const sources: SnippetSource[] = [
  {
    style: 'pytorch',
    snippets: {
      'Training loop': { prefix: 'torch-train-loop', description: 'A training loop', body: ['x'] },
      'CNN block': { prefix: 'torch-cnn-block', description: 'Conv -> BN -> ReLU', body: ['x'] },
      CNN: { prefix: 'torch-cnn', description: 'A small CNN', body: ['x'] },
      VAE: { prefix: 'torch-vae', description: 'Variational autoencoder', body: ['x'] },
      LSTM: { prefix: 'torch-lstm', description: 'LSTM classifier', body: ['x'] },
    },
  },
  {
    style: 'keras',
    snippets: {
      CNN: { prefix: 'keras-cnn', description: 'A small CNN', body: ['x'] },
      'Transformer encoder': { prefix: ['keras-transformer-encoder', 'keras-te'], description: 'Encoder | classifier', body: 'x' },
    },
  },
  { style: 'tensorflow', snippets: { CNN: { prefix: 'tf-cnn', description: 'A small CNN\nwith tf.function', body: ['x'] } } },
];

describe('snippet table', () => {
  it('groups names by what follows the style word', () => {
    assert.equal(snippetGroup('torch-cnn'), 'cnn');
    assert.equal(snippetGroup('keras-transformer-encoder'), 'transformer-encoder');
    assert.equal(snippetGroup('plain'), 'plain');
  });

  it('tells whole architectures from building blocks', () => {
    for (const group of ['cnn', 'lstm', 'gru', 'gan', 'dcgan', 'transformer-encoder', 'transformer-decoder', 'autoencoder', 'conv-autoencoder', 'vae']) {
      assert.equal(snippetKind(group), 'architecture', group);
    }
    for (const group of ['cnn-block', 'lstm-cell', 'gan-loss', 'transformer-encoder-layer', 'train-loop', 'early-stopping', 'attention', 'conv']) {
      assert.equal(snippetKind(group), 'building block', group);
    }
  });

  it('lists architectures first, in README family order, the styles of one name together, then building blocks', () => {
    assert.deepEqual(
      snippetRows(sources).map((row) => row.prefixes[0]),
      ['keras-cnn', 'torch-cnn', 'tf-cnn', 'torch-lstm', 'keras-transformer-encoder', 'torch-vae', 'torch-cnn-block', 'torch-train-loop'],
    );
  });

  it('writes a Markdown table with every prefix, the style and the description', () => {
    const table = snippetTable(sources);
    const lines = table.trimEnd().split('\n');
    assert.equal(lines[0], '| Prefix | Style | What it inserts |');
    assert.equal(lines[1], '|---|---|---|');
    assert.equal(lines.length, 2 + 8);
    assert.ok(lines.includes('| `keras-transformer-encoder`, `keras-te` | keras | Encoder \\| classifier |'), table);
    assert.ok(lines.includes('| `tf-cnn` | tensorflow | A small CNN with tf.function |'), table);
    assert.ok(table.endsWith('|\n'));
  });

  it('escapes what would break a table cell', () => {
    assert.equal(markdownCell('  a | b\n c <d> \\ '), 'a \\| b c &lt;d> \\\\');
  });

  it('is the same whatever order the files and entries come in', () => {
    const reversed = [...sources].reverse().map((s) => ({ ...s, snippets: Object.fromEntries(Object.entries(s.snippets).reverse()) }));
    assert.equal(snippetTable(reversed), snippetTable(sources));
  });

  it('parses snippet files, naming the style after the file and failing clearly on bad JSON', () => {
    const parsed = snippetSources([
      { name: 'pytorch.json', text: '{"A": {"prefix": "torch-a", "description": "a", "body": []}}' },
      { name: 'keras.json', text: '{}' },
      { name: 'notes.txt', text: 'not a snippet file' },
    ]);
    assert.deepEqual(parsed.map((s) => s.style), ['keras', 'pytorch']);
    assert.throws(() => snippetSources([{ name: 'keras.json', text: '{oops' }]), /snippets\/keras\.json is not valid JSON/);
    assert.throws(() => snippetSources([{ name: 'keras.json', text: '[]' }]), /not an object/);
  });

  it('replaces only the text between the markers', () => {
    const readme = `# Title\n\nIntro.\n\n${TABLE_START}\nold table\n${TABLE_END}\n\nAfter.\n`;
    const section = snippetSection(sources);
    const updated = replaceSection(readme, section);
    assert.ok(updated.startsWith(`# Title\n\nIntro.\n\n${TABLE_START}\n<!-- Generated from snippets/*.json`));
    assert.ok(updated.endsWith(`|\n${TABLE_END}\n\nAfter.\n`));
    assert.equal(currentSection(updated), section);
    assert.equal(replaceSection(updated, section), updated, 'rewriting an up-to-date README changes nothing');
  });

  it('fails with a clear message when the markers are missing, repeated or out of order', () => {
    assert.throws(() => currentSection('# README without markers\n'), (error: unknown) => {
      assert.ok(error instanceof MarkersError);
      assert.match(error.message, /<!-- snippets:start --> is missing/);
      assert.match(error.message, /<!-- snippets:end -->/);
      return true;
    });
    assert.throws(() => currentSection(`${TABLE_START}\n`), /<!-- snippets:end --> is missing/);
    assert.throws(() => currentSection(`${TABLE_END}\n${TABLE_START}\n`), /comes before/);
    assert.throws(() => currentSection(`${TABLE_START}${TABLE_END}${TABLE_START}${TABLE_END}`), /more than once/);
  });
});

describe('README.md', () => {
  it('has the snippet table that snippets/*.json make (else run: node scripts/snippets/readme-table.mjs)', () => {
    const dir = path.join(root, 'snippets');
    const names = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')) : [];
    assert.ok(names.length > 0, 'no snippets/*.json files');
    const expected = snippetSection(snippetSources(names.map((name) => ({ name, text: readFileSync(path.join(dir, name), 'utf8') }))));
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    assert.equal(
      currentSection(readme).replace(/\r\n/g, '\n'),
      expected,
      "README.md's snippet table is stale: run node scripts/snippets/readme-table.mjs",
    );
  });
});
