/**
 * A tiny real training set-up for the trainer's direct tests: the smoke preset shrunk to a synthetic
 * set of 8 train / 4 val classes at 40 px, a 4-wide small CNN, and 4 random backgrounds. The val split
 * (24 images) is never the train batch size (16), so a spy on `embed` tells validation batches apart.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveExperiment } from '../../../../configs/resolve';
import type { ExperimentConfig } from '../../../../configs/schema';
import type { GridCell } from '../../../../contracts/grid';
import { buildCell, transformOf } from '../../../../activities/buildCell';
import type { RgbImage } from '../../../../lib/image/types';
import { decodeShard } from '../../../../lib/data/shardFormat';
import { DecodedCache, SplitData } from '../../../../lib/data/splitData';
import { encodeSyntheticSplit, generateSyntheticDataset } from '../../../../lib/data/synthetic';
import { inlineBatchSource, type BatchSource } from '../../../../lib/ml/input/batchSource';
import { cellTrainerOptions } from '../../../../activities/training/cellTrainerOptions';
import { contiguousLabels, trainModel, type TrainerOptions } from '../../../../lib/ml/train/trainer';
import type { TrainingState } from '../../../../lib/ml/train/trainingState';
import { Rng } from '../../../../lib/util/rng';

/** The smoke preset shrunk as above; `extra` overrides on top (for tests that need other epochs). */
export function tinyConfig(extra: Record<string, unknown> = {}): ExperimentConfig {
  return resolveExperiment({
    preset: 'smoke',
    overrides: {
      losses: ['contrastive'],
      'data.synthetic.size': 40,
      'data.synthetic.classes': { train: 8, val: 4, test: 4 },
      'data.synthetic.imagesPerClass': 6,
      'transform.resizeShort': 40,
      'transform.crop': 32,
      'model.width': 4,
      'sampler.batchSize': 16,
      'sampler.iterationsPerEpoch': 2,
      ...extra,
    },
  });
}

export const TINY = tinyConfig();
export const VAL_SIZE = 4 * 6;

export interface TinyData {
  train: SplitData;
  val: SplitData;
  backgrounds: RgbImage[];
}

export async function tinyData(): Promise<TinyData> {
  const data = generateSyntheticDataset(TINY.data.synthetic);
  const cache = new DecodedCache();
  const split = async (name: 'train' | 'val') =>
    new SplitData(
      (await encodeSyntheticSplit(data.splits[name], TINY.data.preparedFormat)).flatMap((s, k) =>
        decodeShard(s, `${name}#${k}`),
      ),
      name,
      cache,
    );
  const rng = Rng.fromSeed('backgrounds');
  const backgrounds: RgbImage[] = Array.from({ length: 4 }, () => ({
    width: 40,
    height: 40,
    data: Uint8Array.from({ length: 40 * 40 * 3 }, () => Math.floor(rng.uniform() * 256)),
  }));
  return { train: await split('train'), val: await split('val'), backgrounds };
}

/** The batches of a tiny run: train and val from `data`, BGAugment and the swapped val metric from its backgrounds. */
export function tinyBatchSource(config: ExperimentConfig, data: TinyData): BatchSource {
  return inlineBatchSource({
    transform: transformOf(config),
    sources: { train: data.train, val: data.val },
    backgrounds: { val: data.backgrounds },
  });
}

/** Every tensor `embed` saw during a run, as host arrays, in call order. */
export interface EmbedCall {
  batch: number;
  pixels: Float32Array;
}

/** Trains a tiny cell with the real trainer; `embed` calls are recorded; `options` override the defaults. */
export async function tinyTrain(
  data: TinyData,
  cell: GridCell,
  options: Partial<TrainerOptions> = {},
): Promise<{ state: TrainingState; calls: EmbedCall[] }> {
  const built = await buildCell(TINY, cell, contiguousLabels(data.train.labels).size);
  const calls: EmbedCall[] = [];
  const embed = built.model.embed.bind(built.model);
  built.model.embed = (x: tf.Tensor4D) => {
    calls.push({ batch: x.shape[0], pixels: x.dataSync() as Float32Array });
    return embed(x);
  };
  try {
    const state = await trainModel({
      ...cellTrainerOptions(TINY, cell, built),
      input: tinyBatchSource(TINY, data),
      maxEpochs: 3,
      patience: 3,
      validateBeforeTraining: true,
      endOfEpoch: async () => undefined,
      ...options,
    });
    return { state, calls };
  } finally {
    built.dispose();
  }
}

/** The validation calls: [clean, swapped] per validation, in order (epoch 0 first when validated before). */
export function validations(calls: readonly EmbedCall[]): Array<{ clean: Float32Array; swapped: Float32Array }> {
  const v = calls.filter((c) => c.batch === VAL_SIZE);
  const out: Array<{ clean: Float32Array; swapped: Float32Array }> = [];
  for (let i = 0; i + 1 < v.length; i += 2) out.push({ clean: v[i].pixels, swapped: v[i + 1].pixels });
  return out;
}
