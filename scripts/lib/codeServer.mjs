// A real VS Code for tests and `npm start`: code-server, installed on first use
// into a cache outside the repository together with the Node.js 24 it needs.
//   DLKIT_CACHE_DIR   the cache (default ~/.cache/deep-learning-kit)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = '24';

export const cacheDir = process.env.DLKIT_CACHE_DIR || join(homedir(), '.cache', 'deep-learning-kit');

function npmInstall(prefix, spec, env = process.env) {
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, 'package.json'), JSON.stringify({ private: true }) + '\n');
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--foreground-scripts', spec], {
    cwd: prefix,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Runs `install` once per folder; a marker file tells a finished install from an interrupted one. */
function cached(folder, label, install) {
  const marker = join(folder, '.installed');
  if (existsSync(marker)) return;
  console.log(`Installing ${label} into ${folder} (first run only)…`);
  rmSync(folder, { recursive: true, force: true });
  const started = Date.now();
  install();
  writeFileSync(marker, new Date().toISOString() + '\n');
  console.log(`Installed ${label} in ${Math.round((Date.now() - started) / 1000)} s.`);
}

/** The folder holding a Node.js 24 `node` binary. */
export function ensureNode24() {
  const folder = join(cacheDir, `node-${NODE_MAJOR}`);
  const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  cached(folder, `Node.js ${NODE_MAJOR}`, () => npmInstall(folder, `${pkg}@${NODE_MAJOR}`));
  return join(folder, 'node_modules', pkg, 'bin');
}

/** Installs code-server if needed; returns how to run it. */
export function ensureCodeServer() {
  const nodeBin = ensureNode24();
  const folder = join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);
  const env = {
    ...process.env,
    PATH: nodeBin + delimiter + process.env.PATH,
    // Native addons build against Node 24's own headers (shipped in its package), never downloaded ones.
    npm_config_nodedir: dirname(nodeBin),
  };
  cached(folder, `code-server ${CODE_SERVER_VERSION}`, () => {
    try {
      npmInstall(folder, `code-server@${CODE_SERVER_VERSION}`, env);
    } catch (error) {
      const hint = process.platform === 'linux' ? ' On Debian/Ubuntu its native addons need `apt-get install libkrb5-dev`.' : '';
      throw new Error(`Installing code-server failed.${hint}\n${error.message}`);
    }
  });
  const entry = join(folder, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(entry)) throw new Error(`code-server is incomplete: ${entry} is missing; delete ${folder} and run again`);
  return { node: join(nodeBin, process.platform === 'win32' ? 'node.exe' : 'node'), entry, env, nodeBin };
}

/** VS Code's built-in extensions inside a code-server install (grammars, language configs). */
export function builtinExtensionsDir(server) {
  return join(dirname(server.entry), '..', '..', 'lib', 'vscode', 'extensions');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Settings that keep a test or demo window quiet and predictable. */
export const QUIET_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.enableExperiments': false,
  'git.openRepositoryInParentFolders': 'never',
};

/** Installs a .vsix into an extensions folder with code-server's own CLI. */
export function installVsix(server, vsix, { extensionsDir, userDataDir }) {
  execFileSync(
    server.node,
    [server.entry, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix, '--force'],
    { env: server.env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
}

/**
 * Starts code-server on a free loopback port and resolves once it answers HTTP.
 * Returns { url, child, stop() }.
 */
export async function startCodeServer(server, { folder, extensionsDir, userDataDir, port, env = {}, settings = {}, log }) {
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'code-server.yaml'), '');
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2));
  const chosenPort = port ?? (await freePort());
  const args = [
    server.entry,
    '--config', join(userDataDir, 'code-server.yaml'),
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${chosenPort}`,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    folder,
  ];
  const child = spawn(server.node, args, {
    env: { ...server.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      output += chunk;
      log?.(chunk);
    });
  }
  const url = `http://127.0.0.1:${chosenPort}/?folder=${encodeURIComponent(folder)}`;
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      try {
        // The whole group: code-server forks its extension host and file watcher.
        process.kill(process.platform === 'win32' ? child.pid : -child.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 5000).unref();
    });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with code ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${chosenPort}/healthz`);
      if (response.ok) return { url, child, stop, port: chosenPort, output: () => output };
    } catch {
      /* not listening yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`code-server did not answer on port ${chosenPort} within 60 s:\n${output}`);
}

export function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}
