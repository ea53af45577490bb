import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The local copy of the paper repository's published data (unsplash_backgrounds/, gt_masks/) that
 * tests read: $BGBIAS_PAPER_DATA_DIR (the same variable the product's workers use, set by
 * scripts/test.sh and .ci/run), else ../shared/data beside the repository.
 */
export const SHARED_DATA = resolve(
  process.env.BGBIAS_PAPER_DATA_DIR || resolve(__dirname, '..', '..', '..', 'shared', 'data'),
);
export const SHARED_DATA_MISSING: string | false = existsSync(SHARED_DATA)
  ? false
  : `the paper's data not found at ${SHARED_DATA} (set BGBIAS_PAPER_DATA_DIR to a local copy)`;
