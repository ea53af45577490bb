/**
 * Mask quality against a dataset's own official masks (CUB's segmentations) over every indexed item
 * that has one: the workflow's check on all of CUB, beside the 60 published hand-labelled masks.
 */
import { join } from 'node:path';
import type { DatasetIndex } from '../datasets/types';
import { maskPathFor } from '../masks/computeMasks';
import { readGray } from '../../image/decode';
import { MaskQualityResult, scoreMask, summariseMaskQuality } from './maskQuality';

export async function maskQualityAgainstOfficial(
  index: DatasetIndex,
  root: string,
  maskDir: string,
): Promise<MaskQualityResult> {
  const items = Object.values(index.splits)
    .flat()
    .filter((i) => i.officialMask);
  if (items.length === 0)
    throw new Error(`${index.dataset}: no item has an official mask (are the segmentations extracted under ${root}?)`);
  const scores = [];
  for (const it of items) {
    const gt = await readGray(join(root, it.officialMask!));
    const pred = await readGray(maskPathFor(maskDir, it.path));
    scores.push({ id: it.path, ...scoreMask(gt, pred, it.path) });
  }
  return summariseMaskQuality(scores);
}
