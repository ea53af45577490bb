/**
 * A model under audit: images in (HWC in the model's channel space, see inputConvention.ts), one
 * embedding per image out. Three adapters: tfjsModel.ts (model.json + weights, graph or layers),
 * onnxModel.ts (onnxruntime-node) and bgbiasModel.ts (a model trained here).
 */
import * as tf from '@tensorflow/tfjs';
import type { EmbeddingModel } from '../../ml/models/types';
import type { InputConvention } from '../inputConvention';

export type AuditModelKind = 'tfjs-graph' | 'tfjs-layers' | 'onnx' | 'bgbias';

/**
 * Whether gradient attribution (SmoothGrad, lib/ml/attribution) can run. `model` takes NHWC batches
 * in the model's channel space, so the maps are over the same pixels the protocols use.
 */
export type AttributionSupport = { available: true; model: EmbeddingModel } | { available: false; reason: string };

export interface AuditModel {
  readonly kind: AuditModelKind;
  /** Where it came from (file path, experiment/cell): for records and errors. */
  readonly source: string;
  readonly convention: InputConvention;
  readonly embeddingSize: number;
  /** n images, n*size*size*3 values (NHWC, model channel space) -> n*embeddingSize values. */
  embed(images: Float32Array, n: number): Promise<Float32Array>;
  readonly attribution: AttributionSupport;
  dispose(): Promise<void>;
}

/** What a result records about the model. */
export interface AuditModelRecord {
  kind: AuditModelKind;
  source: string;
  convention: InputConvention;
  embeddingSize: number;
  attribution: { available: boolean; reason?: string };
}

export function modelRecord(model: AuditModel): AuditModelRecord {
  return {
    kind: model.kind,
    source: model.source,
    convention: model.convention,
    embeddingSize: model.embeddingSize,
    attribution: model.attribution.available
      ? { available: true }
      : { available: false, reason: model.attribution.reason },
  };
}

/** Checks a batch against the convention before it reaches a model. */
export function checkBatch(images: Float32Array, n: number, conv: InputConvention, source: string): void {
  const expected = n * conv.size * conv.size * 3;
  if (!Number.isInteger(n) || n < 1 || images.length !== expected) {
    throw new Error(`${source}: batch of ${images.length} values for ${n} images of ${conv.size}x${conv.size}x3`);
  }
}

/**
 * A batch through a tfjs embedding function (the tfjs and bgbias adapters): checked, run inside
 * tf.tidy, read back, and every tensor released.
 */
export async function embedTfjsBatch(
  embed: (x: tf.Tensor4D) => tf.Tensor2D,
  images: Float32Array,
  n: number,
  conv: InputConvention,
  source: string,
): Promise<Float32Array> {
  checkBatch(images, n, conv, source);
  const out = tf.tidy(() => embed(tf.tensor4d(images, [n, conv.size, conv.size, 3])));
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

/** Rows divided by their L2 norm (float64 accumulation; PyTorch's F.normalize floor 1e-12). */
export function l2NormalizeRows(values: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < values.length; r += dim) {
    let ss = 0;
    for (let d = 0; d < dim; d++) ss += values[r + d] * values[r + d];
    const norm = Math.max(Math.sqrt(ss), 1e-12);
    for (let d = 0; d < dim; d++) out[r + d] = values[r + d] / norm;
  }
  return out;
}
