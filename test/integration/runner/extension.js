// Test-only extension: code-server rejects --extensionTestsPath, so this one,
// installed next to Deep Learning Kit, runs the mocha integration suite inside
// the real extension host and writes the outcome to a JSON file.
//   DLKIT_INTEGRATION_RESULTS  where to write { passed, failed, pending, tests: [...], done }
//   DLKIT_INTEGRATION_SUITE    the bundled suite (a .js file)
//   DLKIT_MOCHA                path of the mocha package to use
const fs = require('node:fs');

/** Runs the suite once; resolves with the outcome it also wrote to the results file. */
function runSuite() {
  const resultsFile = process.env.DLKIT_INTEGRATION_RESULTS;
  const Mocha = require(process.env.DLKIT_MOCHA);
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, reporter: function quiet() {} });
  mocha.addFile(process.env.DLKIT_INTEGRATION_SUITE);
  const tests = [];
  const write = (extra) => {
    const outcome = {
      passed: tests.filter((t) => t.state === 'passed').length,
      failed: tests.filter((t) => t.state === 'failed').length,
      pending: tests.filter((t) => t.state === 'pending').length,
      tests,
      ...extra,
    };
    fs.writeFileSync(resultsFile, JSON.stringify(outcome, null, 2));
    return outcome;
  };
  write({ done: false }); // tells the host the runner is alive
  return new Promise((resolve) => {
    try {
      const runner = mocha.run(() => resolve(write({ done: true })));
      runner.on('pass', (test) => tests.push({ title: test.fullTitle(), state: 'passed', ms: test.duration }));
      runner.on('pending', (test) => tests.push({ title: test.fullTitle(), state: 'pending' }));
      runner.on('fail', (test, error) =>
        tests.push({ title: test.fullTitle(), state: 'failed', error: String((error && error.stack) || error) }),
      );
    } catch (error) {
      resolve(write({ done: true, crashed: String((error && error.stack) || error) }));
    }
  });
}

function activate() {
  if (process.env.DLKIT_INTEGRATION_RESULTS) void runSuite();
}

module.exports = { activate, deactivate() {}, runSuite };
