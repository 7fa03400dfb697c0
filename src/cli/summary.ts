import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { chooseBackend } from '../engine/backend';
import { ModelStore } from '../engine/modelStore';
// Pure text formatting, shared with the Model Summary page's "Copy as text".
import { summaryText } from '../../webviews/summary/format';
import type { BackendPreference } from '../protocol/engine';
import type { InputKind, ModelSummary, RunOptions, RunResult } from '../protocol/model';
import { UsageError, type CliCommand, type CliIO } from './command';
import { PREFERENCES, nativeSearchPaths } from './info';

const INPUT_KINDS: readonly string[] = ['zeros', 'uniform', 'normal'];

/** The stable JSON `dlkit summary --json` prints; scripts depend on these names. */
function summaryJson(summary: ModelSummary): Record<string, unknown> {
  return {
    file: summary.file,
    format: summary.format,
    formatLabel: summary.formatLabel,
    framework: summary.framework,
    producer: summary.producer,
    modelClass: summary.modelClass,
    name: summary.name,
    fileBytes: summary.fileBytes,
    totalParams: summary.totalParams,
    trainableParams: summary.trainableParams,
    nonTrainableParams: summary.nonTrainableParams,
    macs: summary.macs,
    macsComplete: summary.macsComplete,
    weightBytes: summary.weightBytes,
    weightBytesByDtype: summary.weightBytesByDtype,
    inputs: summary.inputs,
    outputs: summary.outputs,
    layers: summary.layers.map((layer) => ({
      name: layer.name,
      id: layer.id,
      type: layer.className,
      depth: layer.depth,
      outputShape: layer.outputShapes.length === 1 ? layer.outputShapes[0] : layer.outputShapes,
      params: layer.params,
      trainableParams: layer.trainableParams,
      macs: layer.macs,
      connectedTo: layer.connectedTo,
    })),
    weights: summary.weights.map((weight) => ({ path: weight.path, layer: weight.layer, shape: weight.shape, dtype: weight.dtype, bytes: weight.bytes })),
    warnings: summary.warnings,
    unsupportedLayers: summary.unsupportedLayers,
    ...(summary.facts ? { facts: summary.facts } : {}),
    ...(summary.referencedGlobals ? { referencedGlobals: summary.referencedGlobals } : {}),
    ...(summary.codeFiles ? { codeFiles: summary.codeFiles } : {}),
    ...(summary.onnx ? { onnx: summary.onnx } : {}),
    parseMs: summary.parseMs,
  };
}

function runJson(run: RunResult): Record<string, unknown> {
  return {
    backend: run.backend,
    inputShapes: run.inputShapes,
    outputShapes: run.outputShapes,
    rebuildMs: run.rebuildMs,
    firstMs: run.firstMs,
    warmMs: run.warmMs,
    peakActivationBytes: run.peakActivationBytes,
    outputs: run.outputs,
    layers: run.layers,
    warnings: run.warnings,
  };
}

function formatRun(run: RunResult): string {
  const lines = [
    `Ran on ${run.backend}: input ${run.inputShapes.map((s) => `(${s.join(', ')})`).join(', ')} -> output ${run.outputShapes.map((s) => `(${s.join(', ')})`).join(', ')}`,
    `  rebuild ${run.rebuildMs} ms, first pass ${run.firstMs} ms, warm pass ${run.warmMs} ms, peak activations ${(run.peakActivationBytes / 1024).toFixed(1)} KiB`,
  ];
  for (const output of run.outputs) {
    if (output.top5) lines.push(`  ${output.name} top-5: ${output.top5.map((entry) => `${entry.index}: ${entry.value.toFixed(4)}`).join(', ')}`);
  }
  return lines.concat(run.warnings.map((warning) => `  warning: ${warning}`)).join('\n');
}

function positiveInteger(value: string, option: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 65536) throw new UsageError(`${option} must be a whole number from 1 to 65536, not "${value}"`);
  return number;
}

function reportFailure(io: CliIO, json: boolean, message: string): void {
  if (json) io.out(JSON.stringify({ error: message }));
  else io.err(`dlkit summary: ${message}`);
}

export const summaryCommand: CliCommand = {
  summary: 'layers (or modules), shapes, params and MACs of a model file; --run runs Keras/TF.js models',
  usage: `Usage: dlkit summary FILE [--json] [--run] [--input zeros|uniform|normal] [--batch N] [--dim N] [--backend NAME]

Reads a Keras model (.h5, .hdf5, .keras), a TF.js model (model.json), a
PyTorch file (.pt, .pth, .ckpt, TorchScript), ONNX or safetensors, and
prints its layers like Keras' model.summary() (for PyTorch: the module tree
told by the tensors). Nothing in the file is executed; no Python, PyTorch
or TensorFlow is needed. --run works for Keras and TF.js models.

  --json           print one JSON object (format, producer, totalParams, layers, ...)
  --run            rebuild the model in TensorFlow.js and run it on generated input
  --input KIND     generated input: zeros, uniform or normal (default: normal)
  --batch N        batch size for the run (default: 1)
  --dim N          value for other unknown dimensions, e.g. sequence length (default: 32)
  --backend NAME   auto, tensorflow, wasm or cpu (default: auto)

Exit codes: 0 done; 1 the summary worked but the run failed; 2 the file could
not be read as a model (with --json: {"error": "..."} on stdout) or bad usage.`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        json: { type: 'boolean', default: false },
        run: { type: 'boolean', default: false },
        input: { type: 'string', default: 'normal' },
        batch: { type: 'string', default: '1' },
        dim: { type: 'string', default: '32' },
        backend: { type: 'string', default: 'auto' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one model file');
    if (!INPUT_KINDS.includes(values.input)) throw new UsageError(`--input must be one of ${INPUT_KINDS.join(', ')}, not "${values.input}"`);
    if (!PREFERENCES.includes(values.backend)) throw new UsageError(`--backend must be one of ${PREFERENCES.join(', ')}, not "${values.backend}"`);
    const options: RunOptions = {
      input: values.input as InputKind,
      batchSize: positiveInteger(values.batch, '--batch'),
      unknownDim: positiveInteger(values.dim, '--dim'),
    };
    const file = path.resolve(positionals[0]!);

    await chooseBackend({
      preference: values.backend as BackendPreference,
      nativeSearchPaths: nativeSearchPaths(),
      wasmDirectory: path.join(__dirname, 'wasm'),
    });
    const store = new ModelStore();
    try {
      let summary: ModelSummary;
      try {
        summary = await store.summary(file);
      } catch (error) {
        reportFailure(io, values.json, error instanceof Error ? error.message : String(error));
        return 2;
      }
      let run: RunResult | undefined;
      let runError: string | undefined;
      if (values.run) {
        try {
          run = await store.run(file, options);
        } catch (error) {
          runError = `${path.basename(file)}: cannot run: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
      if (values.json) {
        io.out(JSON.stringify({ ...summaryJson(summary), ...(values.run ? { run: run ? runJson(run) : null, ...(runError ? { runError } : {}) } : {}) }, null, 2));
      } else {
        io.out(summaryText(summary));
        if (run) io.out('\n' + formatRun(run));
        if (runError) io.err(`dlkit summary: ${runError}`);
      }
      return runError ? 1 : 0;
    } finally {
      store.closeAll();
    }
  },
};
