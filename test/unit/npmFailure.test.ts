/** explainNpmFailure: npm's output, as users get it, turned into one sentence. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { explainNpmFailure } from '../../src/host/npmFailure';

// Tests run from the repository root (the bundled test file lives in out/unit).
const fixtures = path.join(process.cwd(), 'test', 'fixtures');

describe('explainNpmFailure', () => {
  it('explains the real failure of tfjs-node’s install script when libtensorflow cannot be downloaded', () => {
    const output = readFileSync(path.join(fixtures, 'npm-tfjs-node-install-failure.txt'), 'utf8');
    assert.match(output, /Downloading libtensorflow/, 'the fixture is the real npm output');
    const sentence = explainNpmFailure(output);
    assert.equal(sentence, 'its install script could not download the TensorFlow C library (libtensorflow): getaddrinfo ENOTFOUND downloads.invalid');
  });

  it('handles Windows line endings the same way', () => {
    const output = readFileSync(path.join(fixtures, 'npm-tfjs-node-install-failure.txt'), 'utf8').replace(/\n/g, '\r\n');
    const sentence = explainNpmFailure(output);
    assert.match(sentence, /libtensorflow/);
    assert.match(sentence, /ENOTFOUND downloads\.invalid$/);
  });

  it('without a thrown error still says the download failed', () => {
    const sentence = explainNpmFailure('* Downloading libtensorflow\nnpm error code 1\nnpm error command failed\n');
    assert.equal(sentence, 'its install script could not download the TensorFlow C library (libtensorflow)');
  });

  it('explains a version that is not in the registry (npm 10, E404)', () => {
    const output = [
      'npm error code E404',
      'npm error 404 Not Found - GET https://registry.invalid/@tensorflow%2ftfjs-node - Not found',
      'npm error 404',
      "npm error 404  '@tensorflow/tfjs-node@9.9.9' is not in this registry.",
      'npm error 404',
      'npm error 404 Note that you can also install from a',
      'npm error 404 tarball, folder, http url, or git url.',
      'npm error A complete log of this run can be found in: /home/user/.npm/_logs/debug-0.log',
    ].join('\n');
    assert.equal(explainNpmFailure(output), 'npm failed (E404): 404 Not Found - GET https://registry.invalid/@tensorflow%2ftfjs-node - Not found');
  });

  it('explains older npm ERR! output', () => {
    const output = [
      'npm ERR! code ETARGET',
      'npm ERR! notarget No matching version found for @tensorflow/tfjs-node@9.9.9.',
      'npm ERR! notarget In most cases you or one of your dependencies are requesting',
      "npm ERR! notarget a package version that doesn't exist.",
      '',
      'npm ERR! A complete log of this run can be found in:',
      'npm ERR!     /home/user/.npm/_logs/debug-0.log',
    ].join('\n');
    assert.equal(explainNpmFailure(output), 'npm failed (ETARGET): notarget No matching version found for @tensorflow/tfjs-node@9.9.9.');
  });

  it('skips npm’s metadata lines (syscall, errno, path) and gives the message', () => {
    const output = [
      'npm error code EACCES',
      'npm error syscall mkdir',
      'npm error path /opt/storage/native-backend/node_modules',
      'npm error errno -13',
      "npm error Error: EACCES: permission denied, mkdir '/opt/storage/native-backend/node_modules'",
      'npm error     at async mkdir (node:internal/fs/promises:858:10)',
      'npm error The operation was rejected by your operating system.',
    ].join('\n');
    assert.equal(explainNpmFailure(output), "npm failed (EACCES): EACCES: permission denied, mkdir '/opt/storage/native-backend/node_modules'");
  });

  it('explains an offline registry (ENOTFOUND from npm itself)', () => {
    const output = [
      'npm error code ENOTFOUND',
      'npm error syscall getaddrinfo',
      'npm error errno ENOTFOUND',
      'npm error network request to https://registry.invalid/@tensorflow%2ftfjs-node failed, reason: getaddrinfo ENOTFOUND registry.invalid',
      'npm error network This is a problem related to network connectivity.',
    ].join('\n');
    const sentence = explainNpmFailure(output);
    assert.match(sentence, /^npm failed \(ENOTFOUND\): /);
    assert.match(sentence, /getaddrinfo ENOTFOUND registry\.invalid/);
  });

  it('keeps a message that merely contains the word "code" or "path"', () => {
    const sentence = explainNpmFailure('npm error code ERESOLVE\nnpm error could not resolve the peer dependency path for this code\n');
    assert.equal(sentence, 'npm failed (ERESOLVE): could not resolve the peer dependency path for this code');
  });

  it('gives the code alone when npm says nothing more', () => {
    assert.equal(explainNpmFailure('npm error code ELIFECYCLE\n'), 'npm failed (ELIFECYCLE)');
  });

  it('gives a thrown error when npm printed no error lines', () => {
    assert.equal(explainNpmFailure('Error: spawn sh ENOENT\n    at foo (bar.js:1:1)\n'), 'npm failed: spawn sh ENOENT');
  });

  it('says so when there is no output at all', () => {
    for (const output of ['', '\n\n', '   \r\n']) {
      assert.equal(explainNpmFailure(output), 'npm failed without saying why (see the Deep Learning Kit output for its full log)');
    }
  });
});
