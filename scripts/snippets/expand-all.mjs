// Expands every snippet in snippets/*.json with its defaults and first choices
// (src/snippets/expand.ts) and writes them as JSON for the Python tests:
//   node scripts/snippets/expand-all.mjs OUT.json
// OUT.json: [{ file, style, name, prefix, description, code }]
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';

const root = resolve(import.meta.dirname, '../..');
const out = process.argv[2];
if (!out) {
  console.error('usage: node scripts/snippets/expand-all.mjs OUT.json');
  process.exit(2);
}
const bundled = await esbuild.build({
  entryPoints: [join(root, 'src/snippets/expand.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  write: false,
});
const module = { exports: {} };
new Function('module', 'exports', 'require', bundled.outputFiles[0].text)(module, module.exports, createRequire(import.meta.url));
const { expandSnippet } = module.exports;

const expanded = [];
for (const file of readdirSync(join(root, 'snippets')).filter((name) => name.endsWith('.json')).sort()) {
  const snippets = JSON.parse(readFileSync(join(root, 'snippets', file), 'utf8'));
  for (const [name, snippet] of Object.entries(snippets)) {
    const prefixes = Array.isArray(snippet.prefix) ? snippet.prefix : [snippet.prefix];
    expanded.push({
      file,
      style: file.replace(/\.json$/, ''),
      name,
      prefix: prefixes[0],
      description: snippet.description,
      code: expandSnippet(snippet.body),
    });
  }
}
writeFileSync(out, JSON.stringify(expanded, null, 2));
console.log(`expanded ${expanded.length} snippets into ${out}`);
