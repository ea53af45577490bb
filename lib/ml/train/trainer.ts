import type * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../input/batchSource';
import type { BatchSpec } from '../input/keyedBatch';
import type { MetricLoss } from '../losses/types';
import type { EmbeddingModel } from '../models/types';
import { MPerClassSampler } from '../sampler';
import { samplerStream } from '../../util/sampleStreams';
import { monitoredMetricFor, monitoredValue, NO_BEST_EPOCH, selectBestEpoch } from './checkpointSelection';
import { advanceEarlyStopping, EARLY_STOPPING_START } from './earlyStopping';
import { trainStep } from './trainStep';
import type { TrainingState } from './trainingState';
import { validate, valSwapDraws, type ValBackgroundDraws, type ValidationScores } from './validate';

export interface TrainerOptions {
  model: EmbeddingModel;
  loss: MetricLoss;
  /** Applies one step of gradients (TorchRMSprop with the two parameter groups). */
  applyGradients: (grads: tf.NamedTensorMap) => void;
  /**
   * Batches of sources 'train' and 'val' and background pool 'val' (docs/protocol.md section 5: the
   * val pool, for BGAugment and the swapped-background val metric): the input pool in the activities.
   */
  input: BatchSource;
  /** Batches prepared ahead of the step (the input pool's bound; default: the pool's own). */
  prefetch?: number;
  /** Fresh swapped val backgrounds every epoch (the reference) or the same ones (validate.ts). */
  valBackgroundDraws: ValBackgroundDraws;
  mode: 'base' | 'bgaugment';
  seed: number;
  batchSize: number;
  m: number;
  iterationsPerEpoch: number;
  maxEpochs: number;
  patience: number;
  validateBeforeTraining: boolean;
  /** State to continue from (a checkpoint of a previous attempt). */
  resume?: TrainingState;
  /** Called after each epoch with the new state; `improved` when it is the best so far. Must persist
   *  the state (checkpoint) before resolving: the next epoch may never come. */
  endOfEpoch: (state: TrainingState, improved: boolean) => Promise<void>;
  /** Called after each step (heartbeats); cheap. */
  onStep?: (epoch: number, step: number, loss: number) => void;
  /** Called after each validation batch (heartbeats during long validations). */
  onValidationBatch?: (done: number, total: number) => void;
}

/**
 * The reference training loop (docs/protocol.md section 7): M-per-class batches, train transform (+ BGAugment),
 * loss, RMSprop; validation (clean + swapped val MAP@R) after every epoch; the monitored metric picks
 * the best epoch (./checkpointSelection.ts) and drives early stopping (./earlyStopping.ts).
 *
 * Every draw comes from lib/util/sampleStreams.ts's keys: the epoch's batches from (seed, epoch,
 * 'sampler'), sample p of the epoch (batch b, slot i: p = b * batchSize + i) from (seed, 'train',
 * epoch, p, 'image' / 'background'), the swapped val backgrounds from (seed, 'val', ...). Nothing
 * depends on which thread prepared a batch or on what an earlier epoch drew, so the results are the
 * same for every pool size, and an attempt resumed from the checkpoint of epoch e draws exactly what
 * an uninterrupted run draws in epoch e+1.
 */
export async function trainModel(o: TrainerOptions): Promise<TrainingState> {
  const monitored = monitoredMetricFor(o.mode);
  const sourceLabels = o.input.source('train').labels;
  const labelMap = contiguousLabels(sourceLabels);
  const trainLabels = Array.from(sourceLabels, (l) => labelMap.get(l)!);
  // The validation after epoch e draws from the key (seed, 'val', e): a resumed attempt validates
  // epoch e on what an uninterrupted run draws there.
  const valDraws = (epoch: number) => valSwapDraws(o.seed, epoch, o.valBackgroundDraws);

  let state: TrainingState = o.resume ?? {
    epoch: 0,
    ...NO_BEST_EPOCH,
    ...EARLY_STOPPING_START,
    monitored,
    history: [],
  };
  if (!o.resume && o.validateBeforeTraining) {
    const t0 = Date.now();
    const v = await validate(o.model, o.input, valDraws(0), o.onValidationBatch);
    state = {
      ...state,
      history: [
        {
          epoch: 0,
          valClean: v.clean,
          valSwapped: v.swapped,
          seconds: (Date.now() - t0) / 1000,
          valSeconds: (Date.now() - t0) / 1000,
        },
      ],
    };
  }

  while (!state.stopped && state.epoch < o.maxEpochs) {
    const epoch = state.epoch + 1;
    const t0 = Date.now();
    const sampler = new MPerClassSampler(trainLabels, {
      m: o.m,
      batchSize: o.batchSize,
      lengthBeforeNewIter: o.batchSize * o.iterationsPerEpoch,
      rng: samplerStream(o.seed, epoch),
    });
    const specs: BatchSpec[] = sampler
      .batches()
      .slice(0, o.iterationsPerEpoch)
      .map((indices, b) => ({
        kind: 'train',
        source: 'train',
        indices,
        streams: { seed: o.seed, split: 'train', epoch, firstPosition: b * o.batchSize },
        background: o.mode === 'bgaugment' ? 'val' : undefined,
      }));
    let lossSum = 0;
    let steps = 0;
    // The pool prepares the next batches while this thread runs the step on the current one.
    for await (const batch of o.input.batches(specs, { prefetch: o.prefetch })) {
      const indices = specs[steps].indices;
      // The loss sees 0..C-1 labels (the class-weight matrix has C columns).
      const labels = Int32Array.from(indices, (i) => trainLabels[i]);
      const lossValue = await trainStep(o.model, o.loss, o.applyGradients, { ...batch, labels });
      batch.release();
      if (!Number.isFinite(lossValue))
        throw new Error(`training diverged: loss is ${lossValue} at epoch ${epoch}, step ${steps + 1}`);
      lossSum += lossValue;
      steps++;
      o.onStep?.(epoch, steps, lossValue);
    }
    const tVal = Date.now();
    const v: ValidationScores = await validate(o.model, o.input, valDraws(epoch), o.onValidationBatch);
    const { improved, ...best } = selectBestEpoch(state, epoch, monitoredValue(v, monitored));
    state = {
      epoch,
      ...best,
      ...advanceEarlyStopping(state, improved, o.patience),
      monitored,
      history: [
        ...state.history,
        {
          epoch,
          trainLoss: lossSum / Math.max(1, steps),
          valClean: v.clean,
          valSwapped: v.swapped,
          seconds: (Date.now() - t0) / 1000,
          trainSeconds: (tVal - t0) / 1000,
          steps,
          valSeconds: (Date.now() - tVal) / 1000,
        },
      ],
    };
    await o.endOfEpoch(state, improved);
  }
  return state;
}

/** Training labels as 0..C-1 (the class-weight matrix of ArcFace / NormSoftmax has C columns). */
export function contiguousLabels(labels: ArrayLike<number>): Map<number, number> {
  const sorted = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  return new Map(sorted.map((l, i) => [l, i]));
}
