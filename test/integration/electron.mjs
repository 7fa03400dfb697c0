// The integration suite in desktop VS Code through @vscode/test-electron, for
// machines that can download VS Code (it cannot be downloaded everywhere; CI
// uses code-server through test/run.mjs). Runs against the source folder at the
// minimum `engines.vscode` and at the current stable release:
//   npm run build && node test/integration/electron.mjs [version ...]
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { runTests } from '@vscode/test-electron';

const root = resolve(import.meta.dirname, '../..');
const minimum = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.vscode.replace(/^\^/, '');
const versions = process.argv.slice(2).length ? process.argv.slice(2) : [minimum, 'stable'];
const suite = join(root, 'out', 'test', 'integration', 'suite.js');
await esbuild.build({
  entryPoints: { suite: 'test/integration/suite/index.ts' },
  outdir: join(root, 'out', 'test', 'integration'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  external: ['vscode', 'mocha'],
  absWorkingDir: root,
});

let failed = 0;
for (const version of versions) {
  const results = join(mkdtempSync(join(tmpdir(), 'dlkit-electron-')), 'results.json');
  const workspace = mkdtempSync(join(tmpdir(), 'dlkit-electron-workspace-'));
  try {
    await runTests({
      version,
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'test', 'integration', 'runner', 'electronEntry.js'),
      extensionTestsEnv: { DLKIT_INTEGRATION_RESULTS: results, DLKIT_INTEGRATION_SUITE: suite, DLKIT_MOCHA: join(root, 'node_modules', 'mocha') },
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    });
    const outcome = JSON.parse(readFileSync(results, 'utf8'));
    console.log(`VS Code ${version}: ${outcome.passed} passed, ${outcome.failed} failed`);
    failed += outcome.failed;
  } catch (error) {
    console.error(`VS Code ${version}: could not run the suite: ${error instanceof Error ? error.message : error}`);
    failed += 1;
  }
}
process.exitCode = failed ? 1 : 0;
