import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../configs/schema';
import { encodeTensorFile, type TensorRecord } from '../lib/ml/checkpoint/tensorFile';
import { smoothGradAttentionMap } from '../lib/ml/attribution/smoothGrad';
import { attentionScore } from '../lib/ml/attribution/attentionScore';
import { blackReferenceEmbedding } from '../lib/ml/attribution/blackReference';
import type { BatchSpec } from '../lib/ml/input/keyedBatch';
import { transformOf } from './buildCell';
import { blackImageTensor } from '../lib/ml/transforms/blackImage';
import { Rng } from '../lib/util/rng';
import { attributionNoiseStream } from '../lib/util/sampleStreams';
import { mean, std } from '../lib/util/stats';
import { cachedStage, heartbeat, logInfo, type Stores } from './context';
import type { DataCache } from './dataCache';
import { loadTrainedCell } from './training/trainedCell';
import type { AttributionResult, CellRecord } from './types';

// 2: images from the input pool; each image's noise from the key (seed, 'test', 0, index, 'noise').
const STAGE_VERSION = 2;

/** Images per input-pool batch (each image then takes `copies` forward/backward passes). */
const ATTRIBUTION_BATCH = 8;

export interface AttributeCellInput {
  config: ExperimentConfig;
  record: CellRecord;
  /** Set to recompute although a result exists (`bgbias analyze`): a new token gives a new stage
   * digest, so the earlier result stays in the store and the new one is written beside it. */
  recomputeToken?: string;
}

/**
 * Attention maps (docs/protocol.md section 10) of a trained model on its test images and their attention scores
 * against the soft masks; keeps the maps of the first `figureImages` images for the figure.
 */
export function attributeCell(stores: Stores, data: DataCache) {
  return async ({ config, record, recomputeToken }: AttributeCellInput): Promise<AttributionResult> => {
    const store = await stores.get(config.storage.bucket);
    const { cell, train, dataset } = record;
    const inputs = {
      cell,
      attribution: {
        copies: config.attribution.copies,
        noiseLevel: config.attribution.noiseLevel,
        maxImages: config.attribution.maxImages ?? null,
        figureImages: config.attribution.figureImages,
      },
      transform: config.transform,
      recompute: recomputeToken ?? null,
    };
    const upstream = [train.digest, dataset.digest];
    const stage = await cachedStage(
      store,
      config.experiment,
      'attribution',
      STAGE_VERSION,
      inputs,
      upstream,
      async (writer) => {
        const built = await loadTrainedCell(
          stores,
          config,
          cell,
          dataset.splits.train.numClasses,
          train.bestWeightsKey,
        );
        let input: Awaited<ReturnType<DataCache['inputPool']>> | undefined;
        try {
          input = await data.inputPool(store, {
            transform: transformOf(config),
            sources: { test: dataset.splits.test },
          });
          const ids = input.source('test').ids;
          const testIds = (i: number) => ids[i];
          const cfg = transformOf(config);
          const black = blackImageTensor(cfg);
          const reference = blackReferenceEmbedding(built.model, black);
          black.dispose();
          // A seeded sample of the test split: the same images for the base and the BGAugment model.
          const order = Rng.fromSeed(`attribution/${cell.dataset}`).shuffle(
            Array.from({ length: input.source('test').length }, (_, i) => i),
          );
          const chosen = order.slice(0, config.attribution.maxImages ?? order.length);
          const scores: number[] = [];
          const figure = new Map<string, TensorRecord>();
          // Val-transformed images and masks, no draws (no background): the pool prepares the next
          // batches while the model computes the maps. Each image's noise has its own key.
          const specs: BatchSpec[] = [];
          for (let s = 0; s < chosen.length; s += ATTRIBUTION_BATCH) {
            const indices = chosen.slice(s, s + ATTRIBUTION_BATCH);
            specs.push({
              kind: 'eval',
              source: 'test',
              indices,
              streams: { seed: 0, split: 'test', epoch: 0, firstPosition: 0 },
              masks: true,
            });
          }
          const px = cfg.crop * cfg.crop;
          let i = 0;
          for await (const batch of input.batches(specs, { prefetch: 2 })) {
            for (let b = 0; b < batch.size; b++, i++) {
              const idx = chosen[i];
              const pixels = batch.images.slice(b * px * 3, (b + 1) * px * 3);
              const mask = batch.masks!.subarray(b * px, (b + 1) * px);
              const image = tf.tensor3d(pixels, [cfg.crop, cfg.crop, 3]);
              const map = smoothGradAttentionMap(
                built.model,
                image,
                reference,
                built.loss.distance,
                attributionNoiseStream(cell.seed, idx),
                { copies: config.attribution.copies, noiseLevel: config.attribution.noiseLevel },
              );
              const att = (await map.data()) as Float32Array;
              tf.dispose([image, map]);
              scores.push(attentionScore(att, mask));
              if (i < config.attribution.figureImages) {
                figure.set(`map/${i}`, { shape: [cfg.crop, cfg.crop], data: att });
                figure.set(`image/${i}`, { shape: [cfg.crop, cfg.crop, 3], data: toRgb(pixels, cfg.mean) });
              }
              heartbeat({ image: i + 1, of: chosen.length });
            }
            batch.release();
          }
          reference.dispose();
          const finite = scores.filter(Number.isFinite);
          if (finite.length < scores.length)
            logInfo(
              `${record.cellId}: ${scores.length - finite.length} images without a defined attention score (empty ` +
                `or full mask) left out`,
            );
          const attention = { mean: mean(finite), std: std(finite, 0), n: finite.length };
          const mapsKey = (
            await writer.putBuffer(
              'figure-maps.bgwt',
              encodeTensorFile(figure, {
                indices: chosen.slice(0, config.attribution.figureImages),
                ids: chosen.slice(0, config.attribution.figureImages).map(testIds),
              }),
            )
          ).key;
          await writer.putJson('scores.json', { ids: chosen.map(testIds), scores });
          return { metrics: { attention, mapsKey } };
        } finally {
          built.dispose();
          await input?.close();
        }
      },
    );
    const m = stage.manifest.metrics as Pick<AttributionResult, 'attention' | 'mapsKey'>;
    return {
      prefix: stage.prefix,
      digest: stage.digest,
      cached: stage.cached,
      attention: m.attention,
      mapsKey: m.mapsKey,
    };
  };
}

/** Normalised BGR (x255 minus mean) back to displayable RGB bytes (as floats). */
function toRgb(bgr: Float32Array, meanBgr: readonly number[]): Float32Array {
  const out = new Float32Array(bgr.length);
  for (let p = 0; p < bgr.length; p += 3) {
    out[p] = Math.min(255, Math.max(0, Math.round(bgr[p + 2] + meanBgr[2])));
    out[p + 1] = Math.min(255, Math.max(0, Math.round(bgr[p + 1] + meanBgr[1])));
    out[p + 2] = Math.min(255, Math.max(0, Math.round(bgr[p] + meanBgr[0])));
  }
  return out;
}
