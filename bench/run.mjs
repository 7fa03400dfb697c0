// `npm run bench`: what the foundation costs, measured side by side in one run.
//   - package: VSIX and bundle sizes
//   - activation: the extension's own clock inside code-server, over several window loads
//   - first answer: Enter on "Show Engine Info" until the backend shows in the panel
//   - engine start per backend, and a convolution + matmul per backend
// Prints the machine and a table. Needs `npm run package` output and, for the
// code-server rows, the same setup as the tests (code-server, Chromium).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, totalmem, tmpdir, release } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureCodeServer, installVsix, startCodeServer } from '../scripts/lib/codeServer.mjs';
import { launchChromium, openWorkbench, runCommand, webviewFrame } from '../scripts/lib/browser.mjs';

const root = resolve(import.meta.dirname, '..');
const WINDOW_LOADS = 3;
const rows = [];
const add = (measure, value, note = '') => rows.push([measure, value, note]);
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

execFileSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: 'ignore' });

// Package.
const vsix = join(root, 'dist', 'deep-learning-kit.vsix');
add('VSIX size', kb(statSync(vsix).size));
for (const bundle of ['extension.js', 'worker.js', 'cli.js']) add(`dist/${bundle}`, kb(statSync(join(root, 'dist', bundle)).size), 'minified');

// Engine start and compute per backend, each in a fresh process (the CLI starts the same engine).
for (const backend of ['wasm', 'cpu']) {
  const started = performance.now();
  const info = JSON.parse(execFileSync('node', [join(root, 'dist', 'cli.js'), 'info', '--json', '--backend', backend], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  const wall = performance.now() - started;
  const attempt = info.attempts.find((a) => a.ok);
  add(`engine start, ${backend}`, `${info.startupMilliseconds} ms`, `backend init ${attempt.milliseconds} ms; whole CLI process ${wall.toFixed(0)} ms`);
}
const compute = JSON.parse(execFileSync('node', [join(root, 'bench', 'compute.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
for (const [name, perBackend] of Object.entries(compute)) {
  add(name, Object.entries(perBackend).map(([backend, ms]) => `${backend} ${ms.toFixed(1)} ms`).join(', '), 'median of 10 warm runs');
}

// Activation and first answer in a real VS Code.
const server = ensureCodeServer();
const base = mkdtempSync(join(tmpdir(), 'dlkit-bench-'));
const profile = { extensionsDir: join(base, 'extensions'), userDataDir: join(base, 'user-data') };
installVsix(server, vsix, profile);
const instance = await startCodeServer(server, { folder: join(root, 'demo'), ...profile });
const browser = await launchChromium();
const firstAnswers = [];
try {
  for (let load = 0; load < WINDOW_LOADS; load++) {
    const page = await openWorkbench(browser, instance.url);
    await runCommand(page, 'Deep Learning: Show Engine Info'); // Enter pressed here
    const pressed = performance.now();
    const frame = await webviewFrame(page, '[data-testid="backend"]');
    await frame.locator('[data-testid="backend"]', { hasText: 'wasm' }).waitFor();
    firstAnswers.push(performance.now() - pressed);
    await page.context().close();
  }
} finally {
  await browser.close();
  await instance.stop();
}
const activations = findLogs(join(profile.userDataDir, 'logs'), 'Deep Learning Kit.log')
  .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/activated in ([\d.]+) ms \(([\d.]+) ms since/g)])
  .map((match) => ({ activate: Number(match[1]), sinceLoad: Number(match[2]) }));
rmSync(base, { recursive: true, force: true });
if (activations.length === 0) throw new Error('no "activated in" line found in the extension logs');
const activateTimes = activations.map((a) => a.activate);
const sinceLoadTimes = activations.map((a) => a.sinceLoad);
add('activation: activate()', `${median(activateTimes).toFixed(1)} ms`, `median of ${activations.length} window loads (${activateTimes.map((v) => v.toFixed(1)).join(', ')})`);
add('activation: bundle loaded → activated', `${median(sinceLoadTimes).toFixed(1)} ms`, `includes the extension host's own work between loading and calling activate()`);
add('Show Engine Info, first answer', `${median(firstAnswers).toFixed(0)} ms`, `median of ${firstAnswers.length}; Enter to backend shown, includes engine start`);

function findLogs(folder, suffix) {
  return readdirSync(folder, { recursive: true })
    .map((name) => join(folder, name))
    .filter((path) => path.endsWith(suffix));
}

// Report.
console.log(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform} ${release()}, Node ${process.version}, code-server from ${server.node}`);
const widths = [0, 1, 2].map((i) => Math.max(...[['measure', 'value', 'note'], ...rows].map((row) => row[i].length)));
const line = (row) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
console.log(line(['measure', 'value', 'note']));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
