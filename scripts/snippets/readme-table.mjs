// Rewrites README.md's snippet table from snippets/*.json (keras, pytorch, tensorflow: the style
// is the file name), between the lines `<!-- snippets:start -->` and `<!-- snippets:end -->`.
//   node scripts/snippets/readme-table.mjs           rewrite the table (only if it changed)
//   node scripts/snippets/readme-table.mjs --check   exit 1 if the table is stale, change nothing
// The table itself is built by src/snippets/table.ts. Exit codes: 0 done / up to date,
// 1 stale (--check) or an error (missing markers, bad JSON, no snippet files), 2 bad arguments.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';

const root = resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const unknown = args.filter((arg) => arg !== '--check');
if (unknown.length) {
  console.error(`unknown argument(s): ${unknown.join(' ')}\nusage: node scripts/snippets/readme-table.mjs [--check]`);
  process.exit(2);
}

const bundled = await esbuild.build({
  entryPoints: [join(root, 'src/snippets/table.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  write: false,
  logLevel: 'warning',
});
const module = { exports: {} };
new Function('module', 'exports', 'require', bundled.outputFiles[0].text)(module, module.exports, createRequire(import.meta.url));
const { snippetSources, snippetSection, snippetRows, currentSection, replaceSection } = module.exports;

function fail(message) {
  console.error(`readme-table: ${message}`);
  process.exit(1);
}

try {
  const readmePath = join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const current = currentSection(readme).replace(/\r\n/g, '\n'); // throws if the markers are missing

  const snippetsDir = join(root, 'snippets');
  const names = existsSync(snippetsDir) ? readdirSync(snippetsDir).filter((name) => name.endsWith('.json')).sort() : [];
  if (names.length === 0) fail('no snippets/*.json files: nothing to build the table from');
  const sources = snippetSources(names.map((name) => ({ name, text: readFileSync(join(snippetsDir, name), 'utf8') })));
  const section = snippetSection(sources);
  const count = snippetRows(sources).length;

  if (current === section) {
    console.log(`README.md snippet table is up to date (${count} snippets from ${names.join(', ')})`);
  } else if (check) {
    fail(`README.md's snippet table is stale: it does not match snippets/*.json (${count} snippets). Run: node scripts/snippets/readme-table.mjs`);
  } else {
    writeFileSync(readmePath, replaceSection(readme, section));
    console.log(`README.md snippet table rewritten: ${count} snippets from ${names.join(', ')}`);
  }
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
