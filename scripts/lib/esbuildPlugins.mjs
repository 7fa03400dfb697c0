import { readFile } from 'node:fs/promises';

/**
 * TF.js backend packages register themselves when evaluated, but their
 * package.json `sideEffects` lists omit the Node entry points, so esbuild
 * would drop a bare `import '@tensorflow/tfjs-backend-cpu'`. Used by the
 * product bundles (esbuild.mjs) and the test bundles (test/run.mjs) alike.
 */
export const keepBackendRegistration = {
  name: 'keep-backend-registration',
  setup(build) {
    build.onResolve({ filter: /^@tensorflow\/tfjs-backend-(cpu|wasm)$/ }, async (args) => {
      if (args.pluginData?.keepBackend) return undefined;
      const result = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: { keepBackend: true },
      });
      return { ...result, sideEffects: true };
    });
  },
};

/**
 * h5wasm's Node build reads `import.meta.url` when it starts (for createRequire
 * and its own path); a CommonJS bundle leaves that empty. Give it the bundle's
 * own file URL. A plain `require` would not do: h5wasm declares a local one.
 */
export const h5wasmImportMetaUrl = {
  name: 'h5wasm-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /[\\/]h5wasm[\\/]dist[\\/]node[\\/]hdf5_util\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const header = 'import { pathToFileURL as h5wasmPathToFileURL } from "node:url";\nconst h5wasmScriptUrl = h5wasmPathToFileURL(__filename).href;\n';
      return { contents: header + source.replaceAll('import.meta.url', 'h5wasmScriptUrl'), loader: 'js' };
    });
  },
};

/** Every plugin a Node bundle of ours needs. */
export const nodePlugins = [keepBackendRegistration, h5wasmImportMetaUrl];
