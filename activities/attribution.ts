import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../configs/schema';
import { encodeTensorFile, type TensorRecord } from '../lib/ml/checkpoint/tensorFile';
import { smoothGradAttentionMap } from '../lib/ml/attribution/smoothGrad';
import { attentionScore } from '../lib/ml/attribution/attentionScore';
import { summarizeAttentionScores } from '../lib/ml/attribution/scoreSummary';
import { blackReferenceEmbedding } from '../lib/ml/attribution/blackReference';
import { contiguousLabels } from '../lib/ml/train/trainer';
import { transformOf } from './buildCell';
import { blackImageTensor } from '../lib/ml/transforms/blackImage';
import { evalTransform } from '../lib/ml/transforms/pipeline';
import { Rng } from '../lib/util/rng';
import { cachedStage, heartbeat, logInfo, type Stores } from './context';
import type { DataCache } from './dataCache';
import { loadTrainedCell } from './training/trainedCell';
import type { AttributionResult, CellRecord } from './types';

// 2: the attention summary names the images without a defined score (undefinedScores).
const STAGE_VERSION = 2;

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
        const [trainItems, test] = await Promise.all([
          data.split(store, dataset.splits.train),
          data.split(store, dataset.splits.test),
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
          const black = blackImageTensor(cfg);
          const reference = blackReferenceEmbedding(built.model, black);
          black.dispose();
          // A seeded sample of the test split: the same images for the base and the BGAugment model.
          const order = Rng.fromSeed(`attribution/${cell.dataset}`).shuffle(
            Array.from({ length: test.length }, (_, i) => i),
          );
          const chosen = order.slice(0, config.attribution.maxImages ?? order.length);
          const scores: number[] = [];
          const figure = new Map<string, TensorRecord>();
          const rng = Rng.fromSeed(`attribution-noise/${cell.seed}`);
          const t0 = Date.now();
          for (const [i, idx] of chosen.entries()) {
            const item = await test.get(idx);
            const t = evalTransform(item.image, item.mask, cfg);
            const image = tf.tensor3d(t.image, [cfg.crop, cfg.crop, 3]);
            const map = smoothGradAttentionMap(built.model, image, reference, built.loss.distance, rng, {
              copies: config.attribution.copies,
              noiseLevel: config.attribution.noiseLevel,
            });
            const att = (await map.data()) as Float32Array;
            tf.dispose([image, map]);
            scores.push(attentionScore(att, t.mask!));
            if (i < config.attribution.figureImages) {
              figure.set(`map/${i}`, { shape: [cfg.crop, cfg.crop], data: att });
              figure.set(`image/${i}`, { shape: [cfg.crop, cfg.crop, 3], data: toRgb(t.image, cfg.mean) });
            }
            heartbeat({ image: i + 1, of: chosen.length });
          }
          reference.dispose();
          const timing = { seconds: (Date.now() - t0) / 1000, images: chosen.length };
          const ids = chosen.map((i) => test.id(i));
          const attention = summarizeAttentionScores(ids, scores);
          if (attention.undefinedScores.n > 0)
            logInfo(
              `${record.cellId}: ${attention.undefinedScores.n} images without a defined attention score (empty ` +
                `or full mask), named in the report: ${attention.undefinedScores.ids.join(', ')}`,
            );
          const mapsKey = (
            await writer.putBuffer(
              'figure-maps.bgwt',
              encodeTensorFile(figure, {
                indices: chosen.slice(0, config.attribution.figureImages),
                ids: chosen.slice(0, config.attribution.figureImages).map((i) => test.id(i)),
              }),
            )
          ).key;
          await writer.putJson('scores.json', { ids, scores });
          return { metrics: { attention, mapsKey, timing } };
        } finally {
          built.dispose();
        }
      },
    );
    const m = stage.manifest.metrics as Pick<AttributionResult, 'attention' | 'mapsKey' | 'timing'>;
    return {
      prefix: stage.prefix,
      digest: stage.digest,
      cached: stage.cached,
      attention: m.attention,
      mapsKey: m.mapsKey,
      ...(m.timing ? { timing: m.timing } : {}),
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
