/**
 * The paper repository's published data, as facts: the 200 Unsplash backgrounds (val/ 100, test/
 * 100) and the 60 hand-labelled masks, by name and sha256 (copied from its SHA256SUMS files into
 * configs/unsplash-backgrounds.sha256 and configs/gt-masks.sha256), and the address they are
 * published at (github.com/LSX-UniWue/background-bias-in-dml, commit aea4857).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListedFile, parseSha256Sums } from '../lib/data/download/checksumList';

export const PAPER_REPO_RAW =
  'https://raw.githubusercontent.com/LSX-UniWue/background-bias-in-dml/aea48571ce7b4e39b4ad1f462ee1650ffbfd2dbb/';
export const BACKGROUNDS_URL_PREFIX = `${PAPER_REPO_RAW}data/unsplash_backgrounds/`;
export const GT_MASKS_URL_PREFIX = `${PAPER_REPO_RAW}notebooks/gt_masks/`;

function load(file: string): ListedFile[] {
  const path = join(__dirname, file);
  return parseSha256Sums(readFileSync(path, 'utf8'), path);
}

/** All 200 backgrounds ('val/<name>' and 'test/<name>'), sorted by path. */
export const UNSPLASH_BACKGROUNDS: readonly ListedFile[] = load('unsplash-backgrounds.sha256').sort((a, b) =>
  a.path < b.path ? -1 : 1,
);
/** The 180 files of the mask-quality set ('<dataset>/<idx>_{image.jpeg,mask.png,mask_pred.png}'). */
export const GT_MASK_FILES: readonly ListedFile[] = load('gt-masks.sha256').sort((a, b) => (a.path < b.path ? -1 : 1));
