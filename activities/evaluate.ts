import type { ExperimentConfig } from '../configs/schema';
import type { GridCell } from '../contracts/grid';
import { cellId } from '../contracts/ids';
import { scoreSplit, type Scores } from '../lib/ml/train/validate';
import { mean, std } from '../lib/util/stats';
import { cachedStage, heartbeat, type Stores } from './context';
import type { DataCache } from './dataCache';
import { withTrainedCellOnTest } from './training/trainedCell';
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
 * The seed of a cell's swapped test backgrounds (evaluation.testBackgrounds, docs/protocol.md
 * section 5); repetition r of test sample i then draws from sampleStreams' testSwapStream(seed, r, i).
 *   'paired'     the cell's seed: every model of one seed sees the same backgrounds;
 *   'per-model'  the seed and the cell: each model its own draws, reproducible;
 *   'unseeded'   the OS seed recorded in evaluation.testBackgroundSeed, and the cell (each model its
 *                own draws, like the reference's unseeded ones, and still reproducible from the record).
 */
export function testSwapSeed(evaluation: ExperimentConfig['evaluation'], cell: GridCell): string | number {
  switch (evaluation.testBackgrounds) {
    case 'paired':
      return cell.seed;
    case 'per-model':
      return `${cell.seed}/${cellId(cell)}`;
    case 'unseeded':
      if (evaluation.testBackgroundSeed === undefined) {
        throw new Error(
          "evaluation.testBackgrounds is 'unseeded' but evaluation.testBackgroundSeed is not set (resolveConfig draws it)",
        );
      }
      return `os:${evaluation.testBackgroundSeed}/${cellId(cell)}`;
  }
}

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
      // The draws' seed (not the setting's name): two settings that give the same seed share results.
      swapSeed: testSwapSeed(config.evaluation, cell),
      version: 'sample-stream-test-backgrounds',
    };
    const stage = await cachedStage(
      store,
      config.experiment,
      'evaluate',
      STAGE_VERSION,
      inputs,
      [train.digest, dataset.digest, backgrounds.digest],
      async (writer) => {
        // Batches from the worker's input pool, prefetched while the model embeds.
        const testBackgroundsKey = backgrounds.pools.test.key;
        const use = { stores, data, config, cell, dataset, bestWeightsKey: train.bestWeightsKey, testBackgroundsKey };
        return withTrainedCellOnTest(use, async (built, input) => {
          const progress = (phase: string) => (done: number, total: number) =>
            heartbeat({ phase, images: `${done}/${total}` });
          const t0 = Date.now();
          const clean = await scoreSplit(built.model, input, 'test', undefined, progress('clean'));
          const reps: Scores[] = [];
          for (let r = 0; r < config.evaluation.swappedRepetitions; r++) {
            reps.push(
              await scoreSplit(
                built.model,
                input,
                'test',
                { background: 'test', draws: { seed: inputs.swapSeed, split: 'test', epoch: r } },
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
            images: input.source('test').length,
            passes: 1 + config.evaluation.swappedRepetitions,
          };
          const metrics = {
            // Which swapped backgrounds these numbers saw (a rerun with this seed draws the same).
            testBackgrounds: { draws: config.evaluation.testBackgrounds, seed: inputs.swapSeed },
            clean,
            swapped: {
              mapAtR: repeated('mapAtR'),
              precisionAt1: repeated('precisionAt1'),
              rPrecision: repeated('rPrecision'),
            },
          };
          await writer.putJson('metrics.json', metrics);
          return { metrics: { ...metrics, timing } };
        });
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
