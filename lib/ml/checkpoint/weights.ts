/**
 * Model + loss weights by stable names: what a best-weights file holds and what every checkpoint
 * starts with. Files are tensor files (./tensorFile.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { SchemaError, ShapeMismatchError } from '../../../contracts/errors';
import type { MetricLoss } from '../losses/types';
import type { EmbeddingModel } from '../models/types';
import { decodeTensorFile, encodeTensorFile, type TensorRecord } from './tensorFile';

/**
 * Names every variable by a stable name (model weights by their state-dict names, loss weights as
 * `loss/<i>`): tfjs's own variable names are process-local counters, so a file written by one worker
 * process must not depend on them.
 */
export function stableNames(model: EmbeddingModel, loss: MetricLoss): Map<tf.Variable, string> {
  const names = new Map<tf.Variable, string>();
  for (const [name, v] of model.namedWeights()) names.set(v, `model/${name}`);
  loss.trainableVariables().forEach((v, i) => names.set(v, `loss/${i}`));
  return names;
}

export async function variableRecords(names: Map<tf.Variable, string>): Promise<Map<string, TensorRecord>> {
  const out = new Map<string, TensorRecord>();
  for (const [v, name] of names) out.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
  return out;
}

/** Best weights only (model + loss), for evaluation and attribution. */
export async function encodeWeights(model: EmbeddingModel, loss: MetricLoss, meta: unknown = {}): Promise<Buffer> {
  return encodeTensorFile(await variableRecords(stableNames(model, loss)), meta);
}

/** Assigns stored weights to the model's and loss's variables; every variable must be present. */
export function assignWeights(
  records: Map<string, TensorRecord>,
  model: EmbeddingModel,
  loss: MetricLoss | undefined,
  source: string,
): void {
  const names = loss ? stableNames(model, loss) : new Map([...model.namedWeights()].map(([n, v]) => [v, `model/${n}`]));
  for (const [v, name] of names) {
    const r = records.get(name);
    // Permanent: the same file never fits this model (e.g. stored before a model change).
    if (!r) throw new SchemaError(source, `${source}: no weights for ${name}`);
    if (!tf.util.arraysEqual(r.shape, v.shape))
      throw new ShapeMismatchError(
        name,
        v.shape,
        r.shape,
        `${source}: ${name} has shape [${r.shape}], the model needs [${v.shape}]`,
      );
    tf.tidy(() => v.assign(tf.tensor(r.data, r.shape, 'float32')));
  }
}

export function decodeWeights(buf: Buffer, source: string, model: EmbeddingModel, loss?: MetricLoss): unknown {
  const { meta, tensors } = decodeTensorFile(buf, source);
  assignWeights(tensors, model, loss, source);
  return meta;
}
