import type { ExperimentConfig } from '../configs/schema';
import type { GridCell } from '../contracts/grid';
import { contiguousLabels } from '../lib/ml/train/trainer';
import { transformOf } from './buildCell';
import { scoreSplit, type Scores } from '../lib/ml/train/validate';
import { mean, std } from '../lib/util/stats';
import { cachedStage, heartbeat, type Stores } from './context';
import type { DataCache } from './dataCache';
import { loadTrainedCell } from './training/trainedCell';
import type { BackgroundsRef, DatasetRef, EvalResult, RepeatedScore, TrainResult } from './types';

// 2: metrics.json's "corrupted" became "swapped".
const STAGE_VERSION = 2;

export interface EvaluateCellInput {
  config: ExperimentConfig;
  cell: GridCell;
  dataset: DatasetRef;
  backgrounds: BackgroundsRef;
  train: TrainResult;
}

/**
 * Seed of swapped-background repetition r: derived from the run seed ([fix] of docs/protocol.md section 5). The
 * string keeps the reference's word ("corrupted"): renaming it would change every draw.
 */
export const swappedTestSeed = (seed: number, r: number) => `${seed}/test-corrupted/${r}`;

/**
 * Test of the best checkpoint: clean once, then `swappedRepetitions` times with every test image
 * (query and gallery) composited onto a fresh test-pool background; mean and sample std (ddof 1).
 */
export function evaluateCell(stores: Stores, data: DataCache) {
  return async (input: EvaluateCellInput): Promise<EvalResult> => {
    const { config, cell, dataset, backgrounds, train } = input;
    const store = await stores.get(config.storage.bucket);
    const inputs = {
      cell,
      repetitions: config.evaluation.swappedRepetitions,
      transform: config.transform,
      version: 'seeded-test-backgrounds',
    };
    const stage = await cachedStage(
      store,
      config.experiment,
      'evaluate',
      STAGE_VERSION,
      inputs,
      [train.digest, dataset.digest, backgrounds.digest],
      async (writer) => {
        const [trainItems, test, testBackgrounds] = await Promise.all([
          data.split(store, dataset.splits.train),
          data.split(store, dataset.splits.test),
          data.backgrounds(store, backgrounds.pools.test.key),
        ]);
        const built = await loadTrainedCell(
          stores,
          config,
          cell,
          contiguousLabels(trainItems.labels).size,
          train.bestWeightsKey,
        );
        try {
          const cfg = transformOf(config);
          const progress = (phase: string) => (done: number, total: number) =>
            heartbeat({ phase, images: `${done}/${total}` });
          const t0 = Date.now();
          const clean = await scoreSplit(built.model, test, cfg, undefined, progress('clean'));
          const reps: Scores[] = [];
          for (let r = 0; r < config.evaluation.swappedRepetitions; r++) {
            reps.push(
              await scoreSplit(
                built.model,
                test,
                cfg,
                { backgrounds: testBackgrounds, seed: swappedTestSeed(cell.seed, r) },
                progress(`swapped ${r + 1}`),
              ),
            );
          }
          const repeated = (k: keyof Scores): RepeatedScore => {
            const v = reps.map((s) => s[k]);
            return { mean: mean(v), std: v.length > 1 ? std(v, 1) : 0, reps: v };
          };
          const timing = {
            seconds: (Date.now() - t0) / 1000,
            images: test.length,
            passes: 1 + config.evaluation.swappedRepetitions,
          };
          const metrics = {
            clean,
            swapped: {
              mapAtR: repeated('mapAtR'),
              precisionAt1: repeated('precisionAt1'),
              rPrecision: repeated('rPrecision'),
            },
          };
          await writer.putJson('metrics.json', metrics);
          return { metrics: { ...metrics, timing } };
        } finally {
          built.dispose();
        }
      },
    );
    const m = stage.manifest.metrics as Pick<EvalResult, 'clean' | 'swapped' | 'timing'>;
    return {
      prefix: stage.prefix,
      digest: stage.digest,
      cached: stage.cached,
      clean: m.clean,
      swapped: m.swapped,
      ...(m.timing ? { timing: m.timing } : {}),
    };
  };
}
