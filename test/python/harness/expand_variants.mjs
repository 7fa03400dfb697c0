// Expands snippet bodies with src/snippets/expand.ts, bundled the way
// scripts/snippets/expand-all.mjs bundles it, for the Python tests that run a
// snippet with a choice other than its first option.
//   stdin: JSON array of bodies (string or string[]); stdout: JSON array of code
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';

const root = resolve(import.meta.dirname, '../../..');
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

const bodies = JSON.parse(readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(bodies.map((body) => expandSnippet(body))));
