/**
 * How a model's attribution is split into chunks that any GPU worker can take (workflows/
 * attributeModel.ts plans them, activities/attribution.ts computes and combines them): contiguous
 * ranges of the attributed images in their seeded order. A chunk's result does not depend on the
 * chunking (each image's noise has its own stream key), so the combined result is the same for every
 * chunk size and for one chunk.
 */

/** Images per chunk unless the config says otherwise (attribution.chunkImages). */
export const DEFAULT_ATTRIBUTION_CHUNK_IMAGES = 256;

export interface ChunkRange {
  /** First attributed image (position in the seeded order) and one past the last. */
  start: number;
  end: number;
}

/** Images attributed for a test split of `testCount` images (all, or the first maxImages of the seeded order). */
export function attributedImageCount(testCount: number, maxImages?: number): number {
  return Math.min(testCount, maxImages ?? testCount);
}

/** Contiguous ranges of at most `chunkImages` covering 0..n-1. */
export function chunkRanges(n: number, chunkImages: number): ChunkRange[] {
  if (!(Number.isInteger(chunkImages) && chunkImages >= 1))
    throw new Error(`attribution chunks: chunkImages must be an integer >= 1, got ${chunkImages}`);
  const out: ChunkRange[] = [];
  for (let start = 0; start < n; start += chunkImages) out.push({ start, end: Math.min(n, start + chunkImages) });
  return out;
}
