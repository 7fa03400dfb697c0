// @vscode/test-electron's entry (extensionTestsPath): the same runner as in code-server.
const { runSuite } = require('./extension.js');

exports.run = () =>
  runSuite().then((outcome) => {
    if (outcome.failed) throw new Error(`${outcome.failed} integration test(s) failed`);
  });
