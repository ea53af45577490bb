import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** ../shared/data next to the repository (the paper repository's published data), or $BGBIAS_SHARED_DATA. */
export const SHARED_DATA = process.env.BGBIAS_SHARED_DATA ?? resolve(__dirname, '..', '..', '..', 'shared', 'data');
export const SHARED_DATA_MISSING: string | false = existsSync(SHARED_DATA)
  ? false
  : `shared data not found at ${SHARED_DATA} (set BGBIAS_SHARED_DATA)`;
