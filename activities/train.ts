import type { ExperimentConfig } from '../configs/schema';
import type { GridCell } from '../contracts/grid';
import { cellId } from '../contracts/ids';
import { backendInfo } from '../lib/ml/backend';
import { contiguousLabels, trainModel } from '../lib/ml/train/trainer';
import { buildCell, startsFromImageNet, transformOf } from './buildCell';
import { cachedStage, logInfo, type Stores } from './context';
import type { DataCache } from './dataCache';
import { loadPretrained } from './pretrained';
import { activitySinks } from './training/activitySinks';
import { CellCheckpoints } from './training/cellCheckpoints';
import { cellTrainerOptions } from './training/cellTrainerOptions';
import { epochCheckpointer } from './training/epochCheckpointer';
import type { BackgroundsRef, DatasetRef, EpochRecord, TrainResult } from './types';

// 2: "corrupted" became "swapped" in history.json (valSwapped) and the checkpoint state (monitored).
// 3: swapped val backgrounds drawn from lib/util/sampleStreams.ts's keys (evaluation.valBackgrounds).
// 4: the training batches and draws from the keys too (input pool).
const STAGE_VERSION = 4;

export interface TrainCellInput {
  config: ExperimentConfig;
  cell: GridCell;
  dataset: DatasetRef;
  backgrounds: BackgroundsRef;
  progressWorkflowId?: string;
}

/** What determines a trained model: nothing else (log level, worker name) enters the digest. */
export function trainInputs(config: ExperimentConfig, cell: GridCell) {
  return {
    cell,
    model: config.model,
    transform: config.transform,
    optimizer: config.optimizer,
    sampler: config.sampler,
    training: {
      maxEpochs: config.training.maxEpochs,
      patience: config.training.patience,
      validateBeforeTraining: config.training.validateBeforeTraining,
    },
    // The BGAugment models' selection metric depends on how the swapped val backgrounds are drawn.
    valBackgrounds: config.evaluation.valBackgrounds,
    lossParams: config.lossParams[cell.dataset]?.[cell.loss],
  };
}

/** The newest epoch with training steps: its time per step and its validation time. */
function lastEpochTiming(history: readonly EpochRecord[], valImages: number): TrainResult['timing'] {
  const last = [...history]
    .reverse()
    .find((h) => h.steps && h.trainSeconds !== undefined && h.valSeconds !== undefined);
  if (!last) return undefined;
  return { epoch: last.epoch, stepSeconds: last.trainSeconds! / last.steps!, valSeconds: last.valSeconds!, valImages };
}

/**
 * Trains one grid cell. Every epoch ends with a checkpoint in the store (weights, optimizer buffers,
 * early-stopping state); a retried attempt (worker killed, machine lost) resumes from it and ends with
 * the same weights as an uninterrupted run. Heartbeats carry {epoch, step, loss, metric, checkpointKey}
 * (training/epochCheckpointer.ts).
 */
export function trainCell(stores: Stores, data: DataCache) {
  return async (input: TrainCellInput): Promise<TrainResult> => {
    const { config, cell, dataset, backgrounds } = input;
    const store = await stores.get(config.storage.bucket);
    const id = cellId(cell);
    let resumedFromEpoch: number | undefined;
    const stage = await cachedStage(
      store,
      config.experiment,
      'train',
      STAGE_VERSION,
      trainInputs(config, cell),
      [dataset.digest, backgrounds.digest],
      async (writer) => {
        const batches = await data.inputPool(store, {
          transform: transformOf(config),
          sources: { train: dataset.splits.train, val: dataset.splits.val },
          backgrounds: { val: backgrounds.pools.val.key },
        });
        logInfo(`${id}: input pool of ${batches.size} thread${batches.size === 1 ? '' : 's'}`);
        const closeInput = () => batches.close();
        let built: Awaited<ReturnType<typeof buildCell>>;
        try {
          const pretrained = startsFromImageNet(config.model) ? await loadPretrained(config, store, data) : undefined;
          built = await buildCell(config, cell, contiguousLabels(batches.source('train').labels).size, pretrained);
        } catch (err) {
          await closeInput();
          throw err;
        }
        try {
          const checkpoints = new CellCheckpoints(
            store,
            writer.keyOf('checkpoint/latest.bgwt'),
            writer.keyOf('checkpoint/best.bgwt'),
            built,
            (line) => logInfo(`${id}: ${line}`),
          );
          const resume = await checkpoints.restoreLatest();
          if (resume) {
            resumedFromEpoch = resume.epoch;
            logInfo(`${id}: resuming training from the checkpoint of epoch ${resume.epoch} (${checkpoints.latestKey})`);
          }
          const state = await trainModel({
            ...cellTrainerOptions(config, cell, built),
            input: batches,
            resume,
            ...epochCheckpointer({
              cellId: id,
              maxEpochs: config.training.maxEpochs,
              checkpoints,
              resumed: resume,
              sinks: activitySinks(input.progressWorkflowId),
            }),
          });
          if (state.bestEpoch < 1) throw new Error(`${id}: training ended without a validated epoch`);
          const bestFile = await writer.putBuffer('best.bgwt', await checkpoints.bestWeights(state.bestEpoch));
          const historyFile = await writer.putJson('history.json', state.history);
          const info = backendInfo();
          const metrics = {
            backend: info
              ? { name: info.name, device: info.device, threads: info.threads, version: info.version }
              : undefined,
            bestEpoch: state.bestEpoch,
            epochsTrained: state.epoch,
            bestMetric: state.bestMetric,
            monitored: state.monitored,
            bestWeightsKey: bestFile.key,
            historyKey: historyFile.key,
            trainSeconds: state.history.reduce((t, h) => t + h.seconds, 0),
            timing: lastEpochTiming(state.history, batches.source('val').length),
            resumedFromEpoch,
          };
          return { metrics };
        } finally {
          built.dispose();
          await closeInput();
        }
      },
    );
    const m = stage.manifest.metrics as Omit<TrainResult, 'prefix' | 'digest' | 'cached'>;
    return {
      prefix: stage.prefix,
      digest: stage.digest,
      cached: stage.cached,
      ...m,
      resumedFromEpoch: stage.cached ? m.resumedFromEpoch : resumedFromEpoch,
    };
  };
}
