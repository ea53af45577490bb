/**
 * Mask quality of a folder in the layout of the paper's notebooks/gt_masks:
 * <dir>/<dataset>/<idx>_mask.png (hand-labelled) and <idx>_mask_pred.png (automatic).
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { readGray } from '../../image/decode';
import { MaskQualityResult, scoreMask, summariseMaskQuality } from './maskQuality';

export async function maskQualityOfFolder(dir: string): Promise<Record<string, MaskQualityResult>> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new Error(`mask quality: cannot read folder ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const datasets = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const out: Record<string, MaskQualityResult> = {};
  for (const ds of datasets) {
    const files = (await fsp.readdir(join(dir, ds))).sort();
    const ids = files.filter((f) => /_mask\.png$/.test(f)).map((f) => f.replace(/_mask\.png$/, ''));
    if (ids.length === 0) continue;
    const scores = [];
    for (const id of ids) {
      const pred = `${id}_mask_pred.png`;
      if (!files.includes(pred))
        throw new Error(`mask quality: ${join(dir, ds, `${id}_mask.png`)} has no automatic mask ${pred}`);
      const gt = await readGray(join(dir, ds, `${id}_mask.png`));
      const p = await readGray(join(dir, ds, pred));
      scores.push({ id, ...scoreMask(gt, p, join(dir, ds, id)) });
    }
    // Numeric order of the test-split indices reads better than string order.
    scores.sort((a, b) => Number(a.id) - Number(b.id) || (a.id < b.id ? -1 : 1));
    out[ds] = summariseMaskQuality(scores);
  }
  if (Object.keys(out).length === 0) throw new Error(`mask quality: no <dataset>/<idx>_mask.png files under ${dir}`);
  return out;
}
