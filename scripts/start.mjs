// `npm start`: build and package the extension, install the .vsix into a local
// code-server (installed into a cache on first run) and open demo/ in it.
//   npm start                      code-server on http://127.0.0.1:8080 (or a free port)
//   npm start -- --port 9000       a given port
//   npm start -- --desktop         install into desktop VS Code (`code` on PATH) instead
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDir, ensureCodeServer, freePort, installVsix, startCodeServer } from './lib/codeServer.mjs';

const root = resolve(import.meta.dirname, '..');
const demo = join(root, 'demo');
const vsix = join(root, 'dist', 'deep-learning-kit.vsix');
const { values } = parseArgs({
  options: { desktop: { type: 'boolean', default: false }, port: { type: 'string' } },
  strict: true,
});

execFileSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
console.log(`Packaged ${vsix}`);

if (values.desktop) {
  const code = process.platform === 'win32' ? 'code.cmd' : 'code';
  const found = spawnSync(code, ['--version'], { shell: process.platform === 'win32' });
  if (found.error || found.status !== 0) {
    console.error('`code` is not on PATH. In VS Code run "Shell Command: Install \'code\' command in PATH", or use `npm start` for code-server.');
    process.exit(1);
  }
  execFileSync(code, ['--install-extension', vsix, '--force'], { stdio: 'inherit', shell: process.platform === 'win32' });
  execFileSync(code, [demo], { stdio: 'inherit', shell: process.platform === 'win32' });
  console.log('Opened demo/ in VS Code with Deep Learning Kit installed.');
  process.exit(0);
}

const server = ensureCodeServer();
// One profile kept between runs, so settings and opened editors persist.
const profile = { extensionsDir: join(cacheDir, 'start', 'extensions'), userDataDir: join(cacheDir, 'start', 'user-data') };
installVsix(server, vsix, profile);
const port = values.port ? Number(values.port) : await preferredPort(8080);
const instance = await startCodeServer(server, { folder: demo, ...profile, port });
console.log(`\nDeep Learning Kit is running in VS Code (code-server) on demo/:\n\n  ${instance.url}\n\nOpen it in a browser. Ctrl+C stops it.`);

const stop = async () => {
  await instance.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
instance.child.on('exit', (code) => {
  console.error(`code-server exited (code ${code}).`);
  process.exit(code ?? 1);
});

/** `wanted` when it is free, else any free port. */
async function preferredPort(wanted) {
  const { createServer } = await import('node:net');
  const free = await new Promise((done) => {
    const probe = createServer().once('error', () => done(false)).listen(wanted, '127.0.0.1', () => probe.close(() => done(true)));
  });
  return free ? wanted : freePort();
}
