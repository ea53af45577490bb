/**
 * Mask quality of a folder in the layout of the paper's notebooks/gt_masks:
 * <dir>/<dataset>/<idx>_mask.png (hand-labelled) and <idx>_mask_pred.png (automatic).
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { SchemaError } from '../../../contracts/errors';
import { readGray } from '../../image/decode';
import { MaskQualityResult, scoreMask, summariseMaskQuality } from './maskQuality';

export interface MaskFolderOptions {
  /**
   * Told about automatic masks that have no hand-labelled mask beside them (they cannot be scored,
   * so they are left out; a wrong or partial copy of the folder shows up here).
   */
  warn?: (line: string) => void;
}

/** How many example names a warning lists. */
const EXAMPLES = 5;

export async function maskQualityOfFolder(
  dir: string,
  opts: MaskFolderOptions = {},
): Promise<Record<string, MaskQualityResult>> {
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
    const orphans = files.filter((f) => /_mask_pred\.png$/.test(f) && !ids.includes(f.replace(/_mask_pred\.png$/, '')));
    if (orphans.length)
      opts.warn?.(
        `mask quality: ${orphans.length} automatic mask(s) in ${join(dir, ds)} have no hand-labelled ` +
          `<idx>_mask.png and are not scored: ${orphans.slice(0, EXAMPLES).join(', ')}` +
          `${orphans.length > EXAMPLES ? ', ...' : ''}`,
      );
    if (ids.length === 0) continue;
    const scores = [];
    for (const id of ids) {
      const pred = `${id}_mask_pred.png`;
      if (!files.includes(pred))
        throw new Error(`mask quality: ${join(dir, ds, `${id}_mask.png`)} has no automatic mask ${pred}`);
      const gtFile = join(dir, ds, `${id}_mask.png`);
      const gt = await readGray(gtFile);
      // IoU and overlap are 0/0 without foreground: name the file rather than average a NaN.
      if (!gt.data.some((v) => v >= 128))
        throw new SchemaError(
          gtFile,
          `mask quality: the hand-labelled mask ${gtFile} has no foreground (no pixel >= 128), so it cannot be scored`,
        );
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
