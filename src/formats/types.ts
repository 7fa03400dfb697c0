/** What every model parser returns: the plain-JSON facts plus a way to read weight values. */
import type { ParsedModelInfo } from '../protocol/model';

/** Weight values as numbers: float tensors (any float dtype, dequantised) as Float32Array. */
export type TensorValues = Float32Array | Int32Array | Uint8Array;

/** What TF.js needs to rebuild a TF.js model in memory (tf.io.fromMemory). */
export interface TfjsArtifacts {
  modelTopology: unknown;
  weightSpecs: Array<{ name: string; shape: number[]; dtype: string; quantization?: unknown }>;
  weightData: ArrayBuffer;
  format: 'layers-model' | 'graph-model';
}

export interface ParsedModel extends ParsedModelInfo {
  /**
   * The Keras model config (`{class_name, config}`) normalised to what
   * tfjs-layers' modelFromJSON accepts (Keras 3 and Keras 1 spellings
   * rewritten, training config dropped). Absent without an architecture.
   */
  kerasTopology?: { class_name: string; config: unknown };
  /** Reads one tensor's values (WeightTensor.path). Bounded by the tensor's stored size. */
  readTensor(path: string): Promise<TensorValues>;
  /** TF.js files only: the topology, manifest and concatenated shards. */
  loadTfjsArtifacts?(): Promise<TfjsArtifacts>;
  /** Releases the open file. */
  close(): void;
}
