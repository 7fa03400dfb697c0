// `npm test`: builds and packages the extension, then runs the tiers —
//   unit         mocha in plain Node
//   grammar      the TextMate grammars against VS Code's own Python grammar
//   python       pytest in the system Python with real PyTorch: snippets run for real
//   integration  mocha inside a real extension host (code-server + headless Chromium)
//   e2e          Playwright driving code-server with the packaged .vsix installed
// and prints each tier's counts. `node test/run.mjs unit e2e` runs just those.
//   DLKIT_PYTHON  the interpreter with torch (default /usr/bin/python3)
//   DLKIT_ONLY    run only the unit and e2e files whose name contains this text (while developing)
// A tier that cannot start counts as failed: nothing is skipped silently.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { nodePlugins } from '../scripts/lib/esbuildPlugins.mjs';
import Mocha from 'mocha';
import { runIntegration } from './integration/host.mjs';
import { ensureCodeServer, installVsix, startCodeServer } from '../scripts/lib/codeServer.mjs';
import { launchChromium } from '../scripts/lib/browser.mjs';

const root = resolve(import.meta.dirname, '..');
process.chdir(root);
const TIERS = ['unit', 'grammar', 'python', 'integration', 'e2e'];
const asked = process.argv.slice(2);
const unknown = asked.filter((tier) => !TIERS.includes(tier));
if (unknown.length) {
  console.error(`Unknown tier(s): ${unknown.join(', ')}. Tiers: ${TIERS.join(', ')}.`);
  process.exit(2);
}
const tiers = asked.length ? asked : TIERS;
export const vsixPath = join(root, 'dist', 'deep-learning-kit.vsix');
const outDir = join(root, 'out', 'test');

function heading(text) {
  console.log(`\n━━ ${text} ${'━'.repeat(Math.max(0, 70 - text.length))}`);
}

function listTests(folder, suffix) {
  const only = process.env.DLKIT_ONLY ?? '';
  return readdirSync(join(root, folder))
    .filter((name) => name.endsWith(suffix) && name.includes(only))
    .map((name) => join(folder, name));
}

async function compile(entryPoints, outdir) {
  await esbuild.build({
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha', 'playwright-core', 'esbuild'],
    logLevel: 'warning',
    plugins: nodePlugins,
  });
}

/** Runs compiled mocha files in this process with the spec reporter; resolves with counts. */
async function runMocha(files, { timeout }) {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', timeout });
  for (const file of files) mocha.addFile(file);
  await mocha.loadFilesAsync();
  return new Promise((done) => {
    const runner = mocha.run(() => done({ passed: runner.stats.passes, failed: runner.stats.failures, pending: runner.stats.pending }));
  });
}

/** A fresh code-server profile with the packaged extension installed, and a copy of demo/ to open. */
export function freshProfile(server, label) {
  const base = mkdtempSync(join(tmpdir(), `dlkit-${label}-`));
  const profile = {
    base,
    extensionsDir: join(base, 'extensions'),
    userDataDir: join(base, 'user-data'),
    workspace: join(base, 'workspace'),
  };
  mkdirSync(profile.extensionsDir, { recursive: true });
  cpSync(join(root, 'demo'), profile.workspace, { recursive: true });
  installVsix(server, vsixPath, profile);
  return profile;
}

/** Runs a command with its output shown; resolves with exit code and output. */
function runShown(command, args, options = {}) {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], ...options });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, output }));
  });
}

/** Reads `N passed` / `N failed` from a runner's closing line. */
function countsFrom(output, what) {
  const count = (word) => Number(new RegExp(`(\\d+) ${word}`).exec(output)?.[1] ?? 0);
  const counts = { passed: count('passed'), failed: count('failed') + count('errors?'), pending: count('skipped') };
  if (counts.passed + counts.failed === 0) throw new Error(`${what} ran no test`);
  return counts;
}

const tierRunners = {
  async unit() {
    const files = listTests('test/unit', '.test.ts');
    await compile(files, join(outDir, 'unit'));
    return runMocha(files.map((file) => join(outDir, 'unit', file.split('/').pop().replace(/\.ts$/, '.js'))), { timeout: 60_000 });
  },

  async grammar() {
    const { code, output } = await runShown('node', ['test/grammar/run.mjs']);
    const counts = countsFrom(output.trim().split('\n').pop() ?? '', 'the grammar tests');
    if (code !== 0 && counts.failed === 0) counts.failed = 1;
    return counts;
  },

  async python() {
    const python = process.env.DLKIT_PYTHON || '/usr/bin/python3';
    const expanded = join(outDir, 'snippets-expanded.json');
    mkdirSync(outDir, { recursive: true });
    execFileSync('node', ['scripts/snippets/expand-all.mjs', expanded], { stdio: 'inherit' });
    const { code, output } = await runShown(python, ['-m', 'pytest', 'test/python', '-q', '-p', 'no:cacheprovider'], {
      env: { ...process.env, DLKIT_EXPANDED_SNIPPETS: expanded },
    });
    if (code === 5) throw new Error('pytest collected no tests');
    const summary = output.trim().split('\n').filter((line) => /\d+ (passed|failed)/.test(line)).pop();
    if (!summary) throw new Error(`pytest printed no summary (exit ${code}); is pytest installed for ${python}?`);
    const counts = countsFrom(summary, 'pytest');
    if (code !== 0 && counts.failed === 0) counts.failed = 1;
    return counts;
  },

  async integration() {
    const server = ensureCodeServer();
    await compile({ suite: 'test/integration/suite/index.ts' }, join(outDir, 'integration'));
    const profile = freshProfile(server, 'integration');
    try {
      return await runIntegration({ server, profile, suite: join(outDir, 'integration', 'suite.js') });
    } finally {
      rmSync(profile.base, { recursive: true, force: true });
    }
  },

  async e2e() {
    const server = ensureCodeServer();
    const files = listTests('test/e2e', '.test.ts');
    await compile(files, join(outDir, 'e2e'));
    const profile = freshProfile(server, 'e2e');
    const instance = await startCodeServer(server, { folder: profile.workspace, ...profile });
    const browser = await launchChromium();
    // The e2e files read these to reach the running VS Code.
    globalThis.dlkitE2E = { url: instance.url, browser, workspace: profile.workspace, resultsDir: join(root, 'test-results') };
    mkdirSync(join(root, 'test-results'), { recursive: true });
    try {
      return await runMocha(files.map((file) => join(outDir, 'e2e', file.split('/').pop().replace(/\.ts$/, '.js'))), { timeout: 180_000 });
    } finally {
      await browser.close();
      await instance.stop();
      rmSync(profile.base, { recursive: true, force: true });
    }
  },
};

const started = Date.now();
heading('build and package');
execFileSync('npm', ['run', '--silent', 'package'], { stdio: 'inherit' });
if (!existsSync(vsixPath)) throw new Error(`packaging did not produce ${vsixPath}`);

const results = {};
for (const tier of tiers) {
  heading(`${tier} tests`);
  const tierStarted = Date.now();
  try {
    results[tier] = await tierRunners[tier]();
  } catch (error) {
    console.error(`\nThe ${tier} tier could not run: ${error instanceof Error ? error.stack ?? error.message : error}`);
    results[tier] = { passed: 0, failed: 1, pending: 0, broken: true };
  }
  results[tier].seconds = Math.round((Date.now() - tierStarted) / 1000);
}

heading('summary');
let passed = 0;
let failed = 0;
for (const tier of tiers) {
  const r = results[tier];
  passed += r.passed;
  failed += r.failed;
  const note = r.broken ? '  (tier could not run)' : r.pending ? `, ${r.pending} pending` : '';
  console.log(`${`${tier}:`.padEnd(13)} ${r.passed} passed, ${r.failed} failed${note}  [${r.seconds} s]`);
}
console.log(`total time ${Math.round((Date.now() - started) / 1000)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
