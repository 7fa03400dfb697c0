// The integration suite, bundled into one file and run by the test-runner
// extension inside a real extension host. Each import adds its describe blocks.
import './engine.test';
import './snippets.test';
import './scaffold.test';
import './summary.test';
import './monitor.test';
