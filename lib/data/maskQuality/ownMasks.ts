/**
 * Mask quality of THIS pipeline's masks (docs/protocol.md section 11): for every hand-labelled image of
 * a folder in the paper's gt_masks layout (<dataset>/<idx>_image.<ext>, <idx>_mask.png hand-labelled,
 * <idx>_mask_pred.png the paper's published rembg mask), the masker (our u2net session) computes a
 * mask from the image, which is scored against the hand label and against the published rembg mask.
 * The second comparison should agree almost exactly: both are u2net with rembg's processing.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { readGray, readRgb } from '../../image/decode';
import type { Masker } from '../masks/computeMasks';
import { scoreMask, summariseMaskQuality, type MaskQualityResult, type MaskScore } from './maskQuality';

export interface OwnMaskQuality {
  /** Our masks against the hand labels (the paper's table, with our masks). */
  vsHand: MaskQualityResult;
  /** Our masks against the paper's published rembg masks. */
  vsPublished: MaskQualityResult;
}

export async function ownMaskQualityOfFolder(
  dir: string,
  masker: Masker,
  opts: { datasets?: readonly string[] } = {},
): Promise<Record<string, OwnMaskQuality>> {
  const datasets = (
    await fsp.readdir(dir, { withFileTypes: true }).catch((e: Error) => {
      throw new Error(`mask quality: cannot read folder ${dir}: ${e.message}`, { cause: e });
    })
  )
    .filter((e) => e.isDirectory() && (!opts.datasets || opts.datasets.includes(e.name)))
    .map((e) => e.name)
    .sort();
  const out: Record<string, OwnMaskQuality> = {};
  for (const ds of datasets) {
    const files = (await fsp.readdir(join(dir, ds))).sort();
    const images = files.filter((f) => /_image\.[A-Za-z0-9]+$/.test(f));
    if (images.length === 0) continue;
    const vsHand: ({ id: string } & MaskScore)[] = [];
    const vsPublished: ({ id: string } & MaskScore)[] = [];
    for (const file of images) {
      const id = file.replace(/_image\.[A-Za-z0-9]+$/, '');
      for (const need of [`${id}_mask.png`, `${id}_mask_pred.png`])
        if (!files.includes(need)) throw new Error(`mask quality: ${join(dir, ds, file)} has no ${need} beside it`);
      const [ours] = await masker.predict([await readRgb(join(dir, ds, file))]);
      const where = join(dir, ds, id);
      vsHand.push({ id, ...scoreMask(await readGray(join(dir, ds, `${id}_mask.png`)), ours, where) });
      vsPublished.push({ id, ...scoreMask(await readGray(join(dir, ds, `${id}_mask_pred.png`)), ours, where) });
    }
    const byId = (a: { id: string }, b: { id: string }) => Number(a.id) - Number(b.id) || (a.id < b.id ? -1 : 1);
    out[ds] = {
      vsHand: summariseMaskQuality(vsHand.sort(byId)),
      vsPublished: summariseMaskQuality(vsPublished.sort(byId)),
    };
  }
  if (Object.keys(out).length === 0) throw new Error(`mask quality: no <dataset>/<idx>_image.* files under ${dir}`);
  return out;
}
