import type { AttributeCellInput } from '../activities/attribution';
import type { AttributionResult } from '../activities/types';
import { attributedImageCount, chunkRanges } from '../contracts/attributionChunks';
import { gpu } from './activityProxies';
import { mapBounded } from './mapBounded';

/** Chunks in flight at once: the GPU workers take them as their slots free up. */
const CHUNKS_IN_FLIGHT = 32;

/**
 * One model's attribution fanned out: its attributed test images in chunks (attributeChunk
 * activities on the gpu queue, any worker takes any chunk; each chunk a stage in the store, so a lost
 * worker costs its chunk only and a rerun reuses the stored ones), then attributeCell combines them.
 * A child workflow per model keeps each history to a few events per chunk (SOP's 60,502 test images
 * are 237 chunks of 256); chunk results are store keys, not data.
 */
export async function attributeModel(input: Omit<AttributeCellInput, 'chunks'>): Promise<AttributionResult> {
  const { config, record } = input;
  const g = gpu(config.training.heartbeatSeconds);
  const n = attributedImageCount(record.dataset.splits.test.count, config.attribution.maxImages);
  const chunks = await mapBounded(chunkRanges(n, config.attribution.chunkImages), CHUNKS_IN_FLIGHT, (chunk) =>
    g.attributeChunk({ ...input, chunk }),
  );
  return g.attributeCell({ ...input, chunks });
}
