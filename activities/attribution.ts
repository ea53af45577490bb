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
import { summarizeAttentionScores } from '../lib/ml/attribution/scoreSummary';
import { z } from 'zod';
import { attributedImageCount, chunkRanges, type ChunkRange } from '../contracts/attributionChunks';
import { decodeTensorFile } from '../lib/ml/checkpoint/tensorFile';
import { badInput, cachedStage, heartbeat, logInfo, type Stores } from './context';
import type { DataCache } from './dataCache';
import { withTrainedCellOnTest } from './training/trainedCell';
import type { AttributionResult, CellRecord, StageRef } from './types';

// 2: the attention summary names the images without a defined score (undefinedScores).
// 3: images from the input pool; each image's noise from the key (seed, 'test', 0, index, 'noise');
//    computed in chunks (attribution-chunk stages).
const STAGE_VERSION = 3;
const CHUNK_STAGE_VERSION = 1;

/** Images per input-pool batch (each image then takes `copies` forward/backward passes). */
const ATTRIBUTION_BATCH = 8;

export interface AttributeCellInput {
  config: ExperimentConfig;
  record: CellRecord;
  /** Set to recompute although a result exists (`bgbias analyze`): a new token gives a new stage
   * digest, so the earlier result stays in the store and the new one is written beside it. */
  recomputeToken?: string;
  /**
   * The finished chunks (attributeChunk), in order, covering every attributed image: the workflow fans
   * them out over the GPU workers. Without them the chunks are computed here, one after the other.
   */
  chunks?: AttributionChunkRef[];
}

export interface AttributeChunkInput {
  config: ExperimentConfig;
  record: CellRecord;
  recomputeToken?: string;
  chunk: ChunkRange;
}

/** What a chunk leaves in the store: keys only (the workflow history stays small). */
export interface AttributionChunkRef extends StageRef {
  chunk: ChunkRange;
  /** `{ ids, scores }` of the chunk's images, in order. */
  scoresKey: string;
  /** Maps and images of the chunk's figure images (attributed positions < figureImages). */
  mapsKey: string;
  /** Seconds the chunk's maps took (when it was computed: the cost estimate's measure). */
  seconds: number;
}

const ChunkScores = z.object({ ids: z.array(z.string()), scores: z.array(z.number().nullable()) });

/** What determines a model's attribution (and each of its chunks, with the chunk's range). */
function attributionInputs(config: ExperimentConfig, record: CellRecord, recomputeToken?: string) {
  return {
    cell: record.cell,
    attribution: {
      copies: config.attribution.copies,
      noiseLevel: config.attribution.noiseLevel,
      maxImages: config.attribution.maxImages ?? null,
      figureImages: config.attribution.figureImages,
    },
    transform: config.transform,
    recompute: recomputeToken ?? null,
  };
}

/** The attributed test images in their seeded order: the same images for the base and the BGAugment model. */
function attributedOrder(config: ExperimentConfig, record: CellRecord): number[] {
  const count = record.dataset.splits.test.count;
  const order = Rng.fromSeed(`attribution/${record.cell.dataset}`).shuffle(Array.from({ length: count }, (_, i) => i));
  return order.slice(0, attributedImageCount(count, config.attribution.maxImages));
}

/**
 * Attention maps (docs/protocol.md section 10) and attention scores of one chunk of a model's
 * attributed test images, stored as its own content-addressed stage: a worker lost mid-chunk costs
 * that chunk only, and a chunk already stored is not recomputed.
 */
export function attributeChunk(stores: Stores, data: DataCache) {
  return async ({ config, record, recomputeToken, chunk }: AttributeChunkInput): Promise<AttributionChunkRef> => {
    const store = await stores.get(config.storage.bucket);
    const { cell, train, dataset } = record;
    const chosen = attributedOrder(config, record);
    if (!(Number.isInteger(chunk.start) && chunk.start >= 0 && chunk.end > chunk.start && chunk.end <= chosen.length))
      throw badInput(`attributeChunk: chunk ${chunk.start}-${chunk.end} is not within 0-${chosen.length}`);
    const stage = await cachedStage(
      store,
      config.experiment,
      'attribution-chunk',
      CHUNK_STAGE_VERSION,
      { ...attributionInputs(config, record, recomputeToken), chunk: { start: chunk.start, end: chunk.end } },
      [train.digest, dataset.digest],
      async (writer) => {
        const use = { stores, data, config, cell, dataset, bestWeightsKey: train.bestWeightsKey };
        return withTrainedCellOnTest(use, async (built, input) => {
          const cfg = transformOf(config);
          const ids = input.source('test').ids;
          const black = blackImageTensor(cfg);
          const reference = blackReferenceEmbedding(built.model, black);
          black.dispose();
          const positions = chosen.slice(chunk.start, chunk.end);
          const scores: number[] = [];
          const figure = new Map<string, TensorRecord>();
          // Val-transformed images and masks, no draws (no background): the pool prepares the next
          // batches while the model computes the maps. Each image's noise has its own key.
          const specs: BatchSpec[] = [];
          for (let k = 0; k < positions.length; k += ATTRIBUTION_BATCH) {
            specs.push({
              kind: 'eval',
              source: 'test',
              indices: positions.slice(k, k + ATTRIBUTION_BATCH),
              streams: { seed: 0, split: 'test', epoch: 0, firstPosition: 0 },
              masks: true,
            });
          }
          const px = cfg.crop * cfg.crop;
          const t0 = Date.now();
          let k = 0;
          try {
            for await (const batch of input.batches(specs, { prefetch: 2 })) {
              for (let b = 0; b < batch.size; b++, k++) {
                const i = chunk.start + k; // position among all attributed images
                const pixels = batch.images.slice(b * px * 3, (b + 1) * px * 3);
                const mask = batch.masks!.subarray(b * px, (b + 1) * px);
                const image = tf.tensor3d(pixels, [cfg.crop, cfg.crop, 3]);
                const map = smoothGradAttentionMap(
                  built.model,
                  image,
                  reference,
                  built.loss.distance,
                  attributionNoiseStream(cell.seed, positions[k]),
                  { copies: config.attribution.copies, noiseLevel: config.attribution.noiseLevel },
                );
                const att = (await map.data()) as Float32Array;
                tf.dispose([image, map]);
                scores.push(attentionScore(att, mask));
                if (i < config.attribution.figureImages) {
                  figure.set(`map/${i}`, { shape: [cfg.crop, cfg.crop], data: att });
                  figure.set(`image/${i}`, { shape: [cfg.crop, cfg.crop, 3], data: toRgb(pixels, cfg.mean) });
                }
                heartbeat({ chunk: `${chunk.start}-${chunk.end}`, image: k + 1, of: positions.length });
              }
              batch.release();
            }
          } finally {
            reference.dispose();
          }
          const chunkIds = positions.map((p) => ids[p]);
          const mapsKey = (await writer.putBuffer('maps.bgwt', encodeTensorFile(figure, { ids: chunkIds }))).key;
          // JSON has no NaN: an undefined score (empty or full mask) is stored as null.
          const scoresKey = (
            await writer.putJson('scores.json', {
              ids: chunkIds,
              scores: scores.map((v) => (Number.isFinite(v) ? v : null)),
            })
          ).key;
          return { metrics: { scoresKey, mapsKey, seconds: (Date.now() - t0) / 1000 } };
        });
      },
    );
    const m = stage.manifest.metrics as { scoresKey: string; mapsKey: string; seconds: number };
    return { prefix: stage.prefix, digest: stage.digest, cached: stage.cached, chunk, ...m };
  };
}

/**
 * A model's attribution from its chunks (docs/protocol.md section 10): every attributed image's score,
 * their mean and std over the defined ones, and the maps of the first `figureImages` images for the
 * figure. The stage's digest does not depend on the chunking (the chunks' results do not either).
 */
export function attributeCell(stores: Stores, data: DataCache) {
  const computeChunk = attributeChunk(stores, data);
  return async ({ config, record, recomputeToken, chunks }: AttributeCellInput): Promise<AttributionResult> => {
    const store = await stores.get(config.storage.bucket);
    const { train, dataset } = record;
    const stage = await cachedStage(
      store,
      config.experiment,
      'attribution',
      STAGE_VERSION,
      attributionInputs(config, record, recomputeToken),
      [train.digest, dataset.digest],
      async (writer) => {
        const n = attributedOrder(config, record).length;
        const ranges = chunkRanges(n, config.attribution.chunkImages);
        const refs = chunks ?? [];
        if (!chunks)
          for (const chunk of ranges) refs.push(await computeChunk({ config, record, recomputeToken, chunk }));
        let expected = 0;
        for (const r of refs) {
          if (r.chunk.start !== expected)
            throw badInput(
              `attributeCell: chunks must cover 0-${n} in order; chunk ${r.chunk.start}-${r.chunk.end} follows ${expected}`,
            );
          expected = r.chunk.end;
        }
        if (expected !== n) throw badInput(`attributeCell: the chunks end at image ${expected} of ${n}`);
        const ids: string[] = [];
        const scores: number[] = [];
        const figure = new Map<string, TensorRecord>();
        for (const r of refs) {
          const part = await store.getJson(r.scoresKey, ChunkScores);
          if (part.ids.length !== r.chunk.end - r.chunk.start)
            throw new Error(`${r.scoresKey}: ${part.ids.length} scores for chunk ${r.chunk.start}-${r.chunk.end}`);
          ids.push(...part.ids);
          scores.push(...part.scores.map((v) => v ?? NaN));
          if (r.chunk.start < config.attribution.figureImages) {
            for (const [name, t] of decodeTensorFile(await store.getBuffer(r.mapsKey), r.mapsKey).tensors)
              figure.set(name, t);
          }
        }
        const timing = { seconds: refs.reduce((t, r) => t + r.seconds, 0), images: n };
        const attention = summarizeAttentionScores(ids, scores);
        if (attention.undefinedScores.n > 0)
          logInfo(
            `${record.cellId}: ${attention.undefinedScores.n} images without a defined attention score (empty ` +
              `or full mask), named in the report: ${attention.undefinedScores.ids.join(', ')}`,
          );
        const chosen = attributedOrder(config, record);
        const figureN = Math.min(config.attribution.figureImages, n);
        const mapsKey = (
          await writer.putBuffer(
            'figure-maps.bgwt',
            encodeTensorFile(figure, { indices: chosen.slice(0, figureN), ids: ids.slice(0, figureN) }),
          )
        ).key;
        await writer.putJson('scores.json', { ids, scores });
        return { metrics: { attention, mapsKey, timing } };
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
