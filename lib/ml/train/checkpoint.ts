import * as tf from '@tensorflow/tfjs';
import type { MetricLoss } from '../losses/types';
import type { EmbeddingModel } from '../models/types';
import type { RMSpropState, TorchRMSprop } from '../optim/rmsprop';
import { decodeTensorFile, encodeTensorFile, type TensorRecord } from '../checkpoint/tensorFile';
import type { TrainingState } from './trainingState';

/**
 * Checkpoints name every variable by a stable name (model weights by their state-dict names, loss
 * weights as `loss/<i>`): tfjs's own variable names are process-local counters, so a checkpoint
 * written by one worker process must not depend on them.
 */
function stableNames(model: EmbeddingModel, loss: MetricLoss): Map<tf.Variable, string> {
  const names = new Map<tf.Variable, string>();
  for (const [name, v] of model.namedWeights()) names.set(v, `model/${name}`);
  loss.trainableVariables().forEach((v, i) => names.set(v, `loss/${i}`));
  return names;
}

async function variableRecords(names: Map<tf.Variable, string>): Promise<Map<string, TensorRecord>> {
  const out = new Map<string, TensorRecord>();
  for (const [v, name] of names) out.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
  return out;
}

/** Best weights only (model + loss), for evaluation and attribution. */
export async function encodeWeights(model: EmbeddingModel, loss: MetricLoss, meta: unknown = {}): Promise<Buffer> {
  return encodeTensorFile(await variableRecords(stableNames(model, loss)), meta);
}

/** Everything to resume training exactly: weights, optimizer buffers, training state. */
export async function encodeCheckpoint(
  model: EmbeddingModel,
  loss: MetricLoss,
  optimizer: TorchRMSprop,
  state: TrainingState,
): Promise<Buffer> {
  const names = stableNames(model, loss);
  const byTfName = new Map([...names].map(([v, n]) => [v.name, n]));
  const tensors = await variableRecords(names);
  const opt = await optimizer.getState();
  const buffers: string[] = [];
  for (const [tfName, b] of Object.entries(opt.buffers)) {
    const name = byTfName.get(tfName);
    if (!name) throw new Error(`checkpoint: optimizer holds buffers of an unknown variable ${tfName}`);
    tensors.set(`opt/${name}/squareAvg`, { shape: b.shape, data: b.squareAvg });
    if (b.momentumBuffer) tensors.set(`opt/${name}/momentumBuffer`, { shape: b.shape, data: b.momentumBuffer });
    if (b.gradAvg) tensors.set(`opt/${name}/gradAvg`, { shape: b.shape, data: b.gradAvg });
    buffers.push(name);
  }
  const optimizerMeta = {
    step: opt.step,
    options: opt.options,
    groups: opt.groups.map((g) => ({ lr: g.lr, params: g.params.map((p) => byTfName.get(p)) })),
    buffers,
  };
  return encodeTensorFile(tensors, { state, optimizer: optimizerMeta });
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
    if (!r) throw new Error(`${source}: no weights for ${name}`);
    if (!tf.util.arraysEqual(r.shape, v.shape))
      throw new Error(`${source}: ${name} has shape [${r.shape}], the model needs [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(r.data, r.shape, 'float32')));
  }
}

export function decodeWeights(buf: Buffer, source: string, model: EmbeddingModel, loss?: MetricLoss): unknown {
  const { meta, tensors } = decodeTensorFile(buf, source);
  assignWeights(tensors, model, loss, source);
  return meta;
}

/** Restores weights and optimizer buffers; returns the training state to continue from. */
export function restoreCheckpoint(
  buf: Buffer,
  source: string,
  model: EmbeddingModel,
  loss: MetricLoss,
  optimizer: TorchRMSprop,
): TrainingState {
  const { meta, tensors } = decodeTensorFile(buf, source);
  assignWeights(tensors, model, loss, source);
  const m = meta as {
    state: TrainingState;
    optimizer: {
      step: number;
      options: RMSpropState['options'];
      groups: Array<{ lr: number; params: string[] }>;
      buffers: string[];
    };
  };
  const tfName = new Map([...stableNames(model, loss)].map(([v, n]) => [n, v.name]));
  const buffers: RMSpropState['buffers'] = {};
  for (const name of m.optimizer.buffers) {
    const sq = tensors.get(`opt/${name}/squareAvg`);
    if (!sq) throw new Error(`${source}: optimizer buffer of ${name} missing`);
    buffers[tfName.get(name)!] = {
      shape: sq.shape,
      squareAvg: sq.data,
      momentumBuffer: tensors.get(`opt/${name}/momentumBuffer`)?.data,
      gradAvg: tensors.get(`opt/${name}/gradAvg`)?.data,
    };
  }
  optimizer.setState({
    step: m.optimizer.step,
    options: m.optimizer.options,
    groups: m.optimizer.groups.map((g) => ({ lr: g.lr, params: g.params.map((p) => tfName.get(p)!) })),
    buffers,
  });
  return m.state;
}
