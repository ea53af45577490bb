/**
 * The paper repository's published data, as facts: the 200 Unsplash backgrounds (val/ 100, test/
 * 100) and the 60 hand-labelled masks, by name and sha256 (copied from its SHA256SUMS files into
 * the two .sha256 files beside this one; lib/data/download/checksumList.ts reads them). They are
 * published in the paper repository (configs/paper/addresses.ts: PAPER_REPO_RAW).
 */
import { join } from 'node:path';

/** sha256sum-format list of all 200 backgrounds ('val/<name>' and 'test/<name>'). */
export const UNSPLASH_BACKGROUNDS_SHA256SUMS = join(__dirname, 'unsplash-backgrounds.sha256');
/** sha256sum-format list of the mask-quality set's 180 files ('<dataset>/<idx>_{image.jpeg,mask.png,mask_pred.png}'). */
export const GT_MASKS_SHA256SUMS = join(__dirname, 'gt-masks.sha256');
