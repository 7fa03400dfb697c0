// `node bench/monitor.mjs`: how fast the training monitor's readers ingest logs, on one core.
//   - a ~100 MB TensorBoard event file of scalar summaries (4 tags, simple_value), written here
//     from the format (TFRecord framing, masked CRC-32C, Event/Summary protobuf fields)
//   - the same points as a ~100 MB JSONL run log
// For each: one full poll from byte 0 (MB/s, events or lines per second, points), best of 3,
// and the reader process's peak RSS. Prints the machine and a table.
import { mkdtempSync, openSync, closeSync, writeSync, rmSync, readFileSync, statSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'dlkit-bench-monitor-'));
const bundle = join(work, 'monitor.mjs');
await esbuild.build({ entryPoints: [join(root, 'bench', 'lib', 'monitorEntry.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'error' });
const { maskedCrc32c, createTfeventsReader, createJsonlReader } = await import(pathToFileURL(bundle).href);

const TARGET_BYTES = 100 * 1024 * 1024;
const TAGS = ['train/loss', 'train/accuracy', 'val/loss', 'lr'];

function varint(value) {
  const bytes = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return bytes;
}
const field = (number, wire) => varint((number << 3) | wire);
function lengthDelimited(number, payload) {
  return [...field(number, 2), ...varint(payload.length), ...payload];
}

/** Event {wall_time=1 double, step=2 int64, summary=5 {value=1 {tag=1, simple_value=2 float}}}. */
function eventBytes(step, wallTime, values) {
  const summaryValues = values.flatMap(([tag, value]) => {
    const tagBytes = [...Buffer.from(tag)];
    const float = Buffer.alloc(4);
    float.writeFloatLE(value);
    return lengthDelimited(1, [...lengthDelimited(1, tagBytes), ...field(2, 5), ...float]);
  });
  const wall = Buffer.alloc(8);
  wall.writeDoubleLE(wallTime);
  return Buffer.from([...field(1, 1), ...wall, ...field(2, 0), ...varint(step), ...lengthDelimited(5, summaryValues)]);
}

function record(data) {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc32c(header, 0, 8), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data));
  return Buffer.concat([header, data, footer]);
}

function writeLogs() {
  const events = join(work, 'events.out.tfevents.1.bench');
  const jsonl = join(work, 'metrics.jsonl');
  const eventsFd = openSync(events, 'w');
  const jsonlFd = openSync(jsonl, 'w');
  let eventBytesWritten = 0;
  let jsonlBytes = 0;
  let step = 0;
  const chunkE = [];
  const chunkJ = [];
  while (eventBytesWritten < TARGET_BYTES || jsonlBytes < TARGET_BYTES) {
    step++;
    const values = TAGS.map((tag, i) => [tag, Math.exp(-step / 1e5) + i * 0.01]);
    if (eventBytesWritten < TARGET_BYTES) {
      // One event per tag, as SummaryWriter.add_scalar writes them.
      for (const value of values) {
        const bytes = record(eventBytes(step, 1.7e9 + step * 0.01, [value]));
        chunkE.push(bytes);
        eventBytesWritten += bytes.length;
      }
    }
    if (jsonlBytes < TARGET_BYTES) {
      const line = `{"step": ${step}, "epoch": ${1 + Math.floor(step / 1000)}, "split": "train", "time": ${1.7e9 + step * 0.01}, "loss": ${values[0][1]}, "accuracy": ${values[1][1]}, "lr": ${values[3][1]}}\n`;
      chunkJ.push(line);
      jsonlBytes += Buffer.byteLength(line);
    }
    if (chunkE.length > 4096) writeSync(eventsFd, Buffer.concat(chunkE.splice(0)));
    if (chunkJ.length > 4096) writeSync(jsonlFd, chunkJ.splice(0).join(''));
  }
  if (chunkE.length) writeSync(eventsFd, Buffer.concat(chunkE));
  if (chunkJ.length) writeSync(jsonlFd, chunkJ.join(''));
  closeSync(eventsFd);
  closeSync(jsonlFd);
  return { events, jsonl };
}

async function ingest(create, file) {
  let best;
  for (let round = 0; round < 3; round++) {
    const reader = create(file);
    const started = performance.now();
    const update = await reader.poll();
    const ms = performance.now() - started;
    const points = update.scalars.reduce((sum, series) => sum + series.steps.length, 0);
    if (!best || ms < best.ms) best = { ms, points };
  }
  return best;
}

function peakRss() {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
}

const { events, jsonl } = writeLogs();
const rows = [];
for (const [name, create, file, unit, perUnit] of [
  ['TensorBoard events', createTfeventsReader, events, 'events', 1],
  ['JSONL run log', createJsonlReader, jsonl, 'lines', 3],
]) {
  const bytes = statSync(file).size;
  const { ms, points } = await ingest(create, file);
  rows.push([name, `${(bytes / 1e6).toFixed(1)} MB`, `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`, `${Math.round(points / perUnit / (ms / 1000)).toLocaleString('en-US')} ${unit}/s`, points.toLocaleString('en-US'), `${ms.toFixed(0)} ms`]);
}
rmSync(work, { recursive: true, force: true });

const header = ['log', 'size', 'ingest', 'rate', 'points', 'full read (best of 3)'];
const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
console.log(`Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}; one core`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) console.log(line(row));
console.log(`peak RSS of this process: ${(peakRss() / 1e6).toFixed(0)} MB (includes the writer)`);
