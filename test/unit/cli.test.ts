/** The `dlkit` command as users run it: the real dist/cli.js in a child process. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as Cli from '../../src/cli';
import type { EngineInfo } from '../../src/protocol/engine';

// Tests run from the repository root (the bundled test file lives in out/unit).
const root = process.cwd();
const cliPath = path.join(root, 'dist', 'cli.js');
const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function dlkit(...args: string[]): Run {
  const env = { ...process.env };
  delete env['DLKIT_NATIVE_BACKEND_DIR'];
  const result = spawnSync(process.execPath, [cliPath, ...args], { cwd: root, env, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function parseInfo(run: Run): EngineInfo {
  assert.equal(run.code, 0, `exit code ${String(run.code)}; stderr:\n${run.stderr}`);
  return JSON.parse(run.stdout) as EngineInfo;
}

describe('dlkit (dist/cli.js)', () => {
  it('info --json reports the WebAssembly backend as JSON', () => {
    const info = parseInfo(dlkit('info', '--json'));
    assert.equal(info.backend, 'wasm');
    assert.deepEqual(
      info.attempts.map((attempt) => [attempt.backend, attempt.ok]),
      [
        ['tensorflow', false],
        ['wasm', true],
      ],
    );
    assert.equal(info.tfjsVersion, '4.22.0');
    assert.equal(typeof info.pid, 'number');
    assert.notEqual(info.pid, process.pid, 'the report comes from the CLI process');
  });

  it('info prints a human-readable report naming the backend', () => {
    const run = dlkit('info');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Deep Learning Kit engine$/m);
    assert.match(run.stdout, /^\s+backend\s+wasm$/m);
    assert.match(run.stdout, /^\s+tried tensorflow\s+failed: /m);
    assert.throws(() => JSON.parse(run.stdout) as unknown, 'without --json the output is not JSON');
  });

  it('info --backend cpu uses only the cpu backend', () => {
    const info = parseInfo(dlkit('info', '--json', '--backend', 'cpu'));
    assert.equal(info.backend, 'cpu');
    assert.deepEqual(
      info.attempts.map((attempt) => [attempt.backend, attempt.ok]),
      [['cpu', true]],
    );
    assert.equal(info.wasm, undefined);
  });

  it('info --backend tensorflow fails with exit code 1 and names tfjs-node', () => {
    const run = dlkit('info', '--backend', 'tensorflow');
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /@tensorflow\/tfjs-node is not installed/);
    assert.equal(run.stdout, '');
  });

  it('an unknown option exits 2 with the usage on stderr', () => {
    const run = dlkit('info', '--bogus');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--bogus/);
    assert.match(run.stderr, /Usage: dlkit info/);
    assert.equal(run.stdout, '');
  });

  it('a bad --backend value exits 2 and lists the allowed ones', () => {
    const run = dlkit('info', '--backend', 'gpu');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--backend must be one of auto, tensorflow, wasm, cpu, not "gpu"/);
    assert.match(run.stderr, /Usage: dlkit info/);
  });

  it('an unknown command exits 2 and names it', () => {
    const run = dlkit('frobnicate');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown command "frobnicate"/);
    assert.match(run.stderr, /Usage: dlkit <command>/);
    assert.equal(run.stdout, '');
  });

  it('no command prints the help and exits 2', () => {
    const run = dlkit();
    assert.equal(run.code, 2);
    assert.match(run.stdout, /Usage: dlkit <command>/);
  });

  it('--version prints the version from package.json', () => {
    const run = dlkit('--version');
    assert.equal(run.code, 0);
    assert.equal(run.stdout.trim(), packageJson.version);
  });

  it('--help lists the info command and exits 0', () => {
    const run = dlkit('--help');
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: dlkit <command>/);
    assert.match(run.stdout, /^\s+info\s+\S/m);
  });

  it('info --help prints the usage of info and exits 0 without starting the engine', () => {
    const run = dlkit('info', '--help');
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: dlkit info \[--json\]/);
    assert.doesNotMatch(run.stdout, /backend\s+wasm/);
  });

  it('starts with a shebang so it runs as the `dlkit` bin', () => {
    assert.match(readFileSync(cliPath, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  });

  it('exports runCli, and loading it as a module runs nothing', async () => {
    const { runCli } = createRequire(cliPath)(cliPath) as typeof Cli;
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (text: string) => out.push(text), err: (text: string) => err.push(text) };
    assert.equal(await runCli(['--version'], io), 0);
    assert.deepEqual(out, [packageJson.version]);
    assert.equal(await runCli(['info', '--json', 'extra'], io), 2);
    assert.match(err.join('\n'), /Usage: dlkit info/);
  });
});
