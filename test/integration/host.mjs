// Runs the integration suite inside code-server's real extension host: installs
// the test-runner extension beside the packaged Deep Learning Kit, starts
// code-server with the runner's environment, opens the workbench in headless
// Chromium (the extension host starts with a window) and waits for the results.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchChromium, openWorkbench } from '../../scripts/lib/browser.mjs';
import { installVsix, startCodeServer } from '../../scripts/lib/codeServer.mjs';

const root = resolve(import.meta.dirname, '../..');
const RUNNER_STARTS_WITHIN_MS = 120_000;
const SUITE_ENDS_WITHIN_MS = 10 * 60_000;

function readResults(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // not there yet, or being written
  }
}

export async function runIntegration({ server, profile, suite }) {
  // Installed like any extension: a folder merely copied into the extensions dir is ignored.
  const runnerVsix = join(profile.base, 'integration-test-runner.vsix');
  execFileSync(join(root, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', runnerVsix], {
    cwd: join(root, 'test/integration/runner'),
    stdio: 'ignore',
  });
  installVsix(server, runnerVsix, profile);
  const resultsFile = join(profile.base, 'integration-results.json');
  const instance = await startCodeServer(server, {
    folder: profile.workspace,
    ...profile,
    env: {
      DLKIT_INTEGRATION_RESULTS: resultsFile,
      DLKIT_INTEGRATION_SUITE: suite,
      DLKIT_MOCHA: join(root, 'node_modules', 'mocha'),
      DLKIT_TEST_WORKSPACE: profile.workspace,
    },
  });
  const browser = await launchChromium();
  try {
    await openWorkbench(browser, instance.url);
    const started = Date.now();
    let results;
    for (;;) {
      results = existsSync(resultsFile) ? readResults(resultsFile) : undefined;
      if (results?.done) break;
      const waited = Date.now() - started;
      if (!results && waited > RUNNER_STARTS_WITHIN_MS) {
        throw new Error(`the test-runner extension did not start within ${RUNNER_STARTS_WITHIN_MS / 1000} s; code-server said:\n${instance.output().slice(-4000)}`);
      }
      if (waited > SUITE_ENDS_WITHIN_MS) throw new Error(`the integration suite did not finish within ${SUITE_ENDS_WITHIN_MS / 60_000} minutes`);
      await new Promise((done) => setTimeout(done, 500));
    }
    if (results.crashed) console.error(results.crashed);
    for (const test of results.tests) {
      const mark = test.state === 'passed' ? '✔' : test.state === 'failed' ? '✘' : '-';
      console.log(`  ${mark} ${test.title}${test.ms !== undefined ? ` (${test.ms} ms)` : ''}`);
      if (test.error) console.log(test.error.replace(/^/gm, '      '));
    }
    return { passed: results.passed, failed: results.failed + (results.crashed ? 1 : 0), pending: results.pending };
  } finally {
    await browser.close();
    await instance.stop();
  }
}
