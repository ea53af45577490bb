/**
 * A training checkpoint: everything a retried attempt needs to continue exactly where the last one
 * stopped (weights by stable names, RMSprop buffers, the training state with early stopping and
 * history). The trainer writes one after every epoch (activities/training/cellCheckpoints.ts).
 */
import type { MetricLoss } from '../losses/types';
import type { EmbeddingModel } from '../models/types';
import type { RMSpropState, TorchRMSprop } from '../optim/rmsprop';
import type { TrainingState } from '../train/trainingState';
import { decodeTensorFile, encodeTensorFile } from './tensorFile';
import { assignWeights, stableNames, variableRecords } from './weights';

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
