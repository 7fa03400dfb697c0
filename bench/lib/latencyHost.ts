// What bench/monitorLatency.mjs needs from the extension host's side, bundled by it.
export { findRuns } from '../../src/formats/runDiscovery';
export { RunRegistry } from '../../src/monitor/runRegistry';
