import { Context } from '@temporalio/activity';
import { backendInfo } from '../lib/ml/backend';
import type { ExperimentConfig } from '../configs/schema';
import type { GridCell } from '../contracts/grid';
import { encodeCheckpoint, restoreCheckpoint } from '../lib/ml/checkpoint/trainingCheckpoint';
import { decodeWeights, encodeWeights } from '../lib/ml/checkpoint/weights';
import { buildCell, startsFromImageNet, transformOf, withStoredWeights } from './buildCell';
import { trainModel } from '../lib/ml/train/trainer';
import { contiguousLabels } from '../lib/ml/train/trainer';
import type { TrainingState } from '../lib/ml/train/trainingState';
import { cellId } from '../contracts/ids';
import { CELL_PROGRESS_SIGNAL, type CellProgressSignal } from '../contracts/progress';
import { cachedStage, heartbeat, logInfo, type Stores } from './context';
import type { DataCache } from './dataCache';
import { loadPretrained } from './pretrained';
import type { BackgroundsRef, DatasetRef, TrainHeartbeat, TrainResult } from './types';

// 2: "corrupted" became "swapped" in history.json (valSwapped) and the checkpoint state (monitored).
const STAGE_VERSION = 2;

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
    lossParams: config.lossParams[cell.dataset]?.[cell.loss],
  };
}

/**
 * Trains one grid cell. Every epoch ends with a checkpoint in the store (weights, optimizer buffers,
 * early-stopping state); a retried attempt (worker killed, machine lost) resumes from it and ends with
 * the same weights as an uninterrupted run. Heartbeats carry {epoch, step, loss, metric, checkpointKey}.
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
        const [train, val, valBackgrounds] = await Promise.all([
          data.split(store, dataset.splits.train),
          data.split(store, dataset.splits.val),
          data.backgrounds(store, backgrounds.pools.val.key),
        ]);
        const numClasses = contiguousLabels(train.labels).size;
        const pretrained = startsFromImageNet(config.model) ? await loadPretrained(config, store, data) : undefined;
        const built = await buildCell(config, cell, numClasses, pretrained);
        // Checkpoints live beside the stage output, under a name the manifest never lists.
        const checkpointKey = writer.keyOf('checkpoint/latest.bgwt');
        const bestKey = writer.keyOf('checkpoint/best.bgwt');
        try {
          let resume: TrainingState | undefined;
          if (await store.exists(checkpointKey)) {
            resume = restoreCheckpoint(
              await store.getBuffer(checkpointKey),
              checkpointKey,
              built.model,
              built.loss,
              built.optimizer,
            );
            resumedFromEpoch = resume.epoch;
            logInfo(`${id}: resuming training from the checkpoint of epoch ${resume.epoch} (${checkpointKey})`);
          }
          const beat: TrainHeartbeat = {
            epoch: resume?.epoch ?? 0,
            step: 0,
            checkpointKey: resume ? checkpointKey : undefined,
          };
          const cancel = cancellationSignal();
          const state = await trainModel({
            model: built.model,
            loss: built.loss,
            applyGradients: (g) => built.optimizer.step(g),
            train,
            val,
            valBackgrounds,
            mode: cell.mode,
            transform: transformOf(config),
            seed: cell.seed,
            batchSize: config.sampler.batchSize,
            m: built.m,
            iterationsPerEpoch: config.sampler.iterationsPerEpoch,
            maxEpochs: config.training.maxEpochs,
            patience: config.training.patience,
            validateBeforeTraining: config.training.validateBeforeTraining,
            resume,
            onStep: (epoch, step, loss) => {
              if (cancel?.aborted) throw new Error(`training of ${id} cancelled`);
              Object.assign(beat, { epoch, step, loss });
              heartbeat(beat);
            },
            onValidationBatch: (done, total) => heartbeat({ ...beat, validating: `${done}/${total}` }),
            endOfEpoch: async (s, improved) => {
              if (improved)
                await store.putBuffer(bestKey, await encodeWeights(built.model, built.loss, { epoch: s.epoch }));
              await store.putBuffer(checkpointKey, await encodeCheckpoint(built.model, built.loss, built.optimizer, s));
              const last = s.history[s.history.length - 1];
              Object.assign(beat, {
                epoch: s.epoch,
                step: 0,
                metric: s.monitored === 'clean' ? last.valClean.mapAtR : last.valSwapped.mapAtR,
                checkpointKey,
              });
              heartbeat(beat);
              logInfo(
                `${id}: epoch ${s.epoch} loss ${last.trainLoss?.toFixed(4)} val MAP@R clean ${last.valClean.mapAtR.toFixed(4)} swapped ${last.valSwapped.mapAtR.toFixed(4)}${improved ? ' (best)' : ''}`,
              );
              await signalProgress(input, {
                cellId: id,
                epoch: s.epoch,
                maxEpochs: config.training.maxEpochs,
                trainLoss: last.trainLoss,
                valClean: last.valClean.mapAtR,
                valSwapped: last.valSwapped.mapAtR,
                resumedFromEpoch,
              });
            },
          });
          if (state.bestEpoch < 1) throw new Error(`${id}: training ended without a validated epoch`);
          const best = await store.getBuffer(bestKey);
          const bestFile = await writer.putBuffer('best.bgwt', best);
          const historyFile = await writer.putJson('history.json', state.history);
          const info = backendInfo();
          const backend = info
            ? { name: info.name, device: info.device, threads: info.threads, version: info.version }
            : undefined;
          const metrics = {
            backend,
            bestEpoch: state.bestEpoch,
            epochsTrained: state.epoch,
            bestMetric: state.bestMetric,
            monitored: state.monitored,
            bestWeightsKey: bestFile.key,
            historyKey: historyFile.key,
            trainSeconds: state.history.reduce((t, h) => t + h.seconds, 0),
            resumedFromEpoch,
          };
          return { metrics };
        } finally {
          built.dispose();
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

/** Loads a cell's best weights into a freshly built model (for evaluation and attribution). */
export async function loadTrainedCell(
  stores: Stores,
  config: ExperimentConfig,
  cell: GridCell,
  numClasses: number,
  bestWeightsKey: string,
) {
  const store = await stores.get(config.storage.bucket);
  // The stored weights replace every initial value, so no ImageNet file is needed here.
  const built = await buildCell(withStoredWeights(config), cell, numClasses);
  try {
    decodeWeights(await store.getBuffer(bestWeightsKey), bestWeightsKey, built.model, built.loss);
  } catch (err) {
    built.dispose();
    throw err;
  }
  return built;
}

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** Best effort: progress is a convenience, never a reason to fail a training. */
async function signalProgress(input: TrainCellInput, s: CellProgressSignal): Promise<void> {
  if (!input.progressWorkflowId) return;
  try {
    await Context.current()
      .client.workflow.getHandle(input.progressWorkflowId)
      .signal<[CellProgressSignal]>(CELL_PROGRESS_SIGNAL, s);
  } catch (err) {
    logInfo(`progress signal to ${input.progressWorkflowId} failed: ${(err as Error).message}`);
  }
}
