// What bench/monitor.mjs needs from src/, bundled by it.
export { maskedCrc32c } from '../../src/formats/crc32c';
export { createTfeventsReader } from '../../src/formats/tfevents';
export { createJsonlReader } from '../../src/formats/jsonlLog';
