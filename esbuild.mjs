// Builds the four bundles in dist/:
//   extension.js  extension host (node, cjs, `vscode` external) — must stay free of TF.js
//   worker.js     engine process (node, cjs): TF.js, parsers
//   cli.js        the `dlkit` command (node, cjs): same engine as the worker
//   webviews/*.js UI code (browser, esm)
// plus dist/wasm/*.wasm for the WebAssembly backend and dist/templates/ (project templates).
// Flags: --production (minify, no source maps), --watch.
import * as esbuild from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keepBackendRegistration, nodePlugins } from './scripts/lib/esbuildPlugins.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const dist = join(root, 'dist');

/** Packages resolved at run time from disk, never bundled. */
const runtimeOnly = ['vscode', '@tensorflow/tfjs-node'];

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
  legalComments: 'none',
};

const node = { ...common, platform: 'node', format: 'cjs', target: 'node20', external: runtimeOnly };

const builds = {
  extension: { ...node, entryPoints: { extension: 'src/extension.ts' }, outdir: dist },
  worker: { ...node, entryPoints: { worker: 'src/worker/main.ts' }, outdir: dist },
  cli: {
    ...node,
    entryPoints: { cli: 'src/cli.ts' },
    outdir: dist,
    banner: { js: '#!/usr/bin/env node' },
    define: { DLKIT_VERSION: JSON.stringify(version) },
  },
  webviews: {
    ...common,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    entryPoints: readdirSync(join(root, 'webviews'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'shared')
      .map((entry) => ({ in: `webviews/${entry.name}/main.ts`, out: entry.name })),
    outdir: join(dist, 'webviews'),
    loader: { '.css': 'css' },
  },
};

function copyWasmBinaries() {
  const from = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  const to = join(dist, 'wasm');
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from).filter((name) => name.endsWith('.wasm'))) {
    copyFileSync(join(from, file), join(to, file));
  }
}

/** Writes dist/meta/<bundle>.json: which inputs each bundle holds (tests check the extension's). */
function metaWriter(name) {
  return {
    name: 'write-metafile',
    setup(build) {
      build.onEnd((result) => {
        if (!result.metafile) return;
        mkdirSync(join(dist, 'meta'), { recursive: true });
        writeFileSync(join(dist, 'meta', `${name}.json`), JSON.stringify(result.metafile));
      });
    },
  };
}

/** The project templates, read at run time by the extension and the CLI. */
function copyTemplates() {
  cpSync(join(root, 'src/scaffold/templates'), join(dist, 'templates'), {
    recursive: true,
    filter: (source) => !/(__pycache__|\.pytest_cache)$/.test(source),
  });
}

if (!watch) rmSync(dist, { recursive: true, force: true });
copyWasmBinaries();
copyTemplates();
const contexts = await Promise.all(
  Object.entries(builds).map(([name, options]) =>
    esbuild.context({ ...options, plugins: [...(options.platform === 'node' ? nodePlugins : [keepBackendRegistration]), metaWriter(name)] }),
  ),
);
if (watch) {
  await Promise.all(contexts.map((context) => context.watch()));
  console.log('esbuild: watching src/ and webviews/');
} else {
  try {
    await Promise.all(contexts.map((context) => context.rebuild()));
  } finally {
    await Promise.all(contexts.map((context) => context.dispose()));
  }
}
