/**
 * Where the paper repository's published files (backgrounds, hand-labelled masks) are found: the
 * environment variable naming a local copy, and the folder names in a local copy and in the
 * repository itself. Shared by the workers (activities/paperData.ts) and the CLI (mask-quality).
 */
export const PAPER_DATA_ENV = 'BGBIAS_PAPER_DATA_DIR' as const;

export type PaperFiles = 'backgrounds' | 'gtMasks';

/** Folders in a local copy (the layout of the paper's data folder as distributed beside us). */
export const IN_LOCAL_COPY: Record<PaperFiles, string> = { backgrounds: 'unsplash_backgrounds', gtMasks: 'gt_masks' };
/** Folders under the repository's raw-file address. */
export const IN_REPOSITORY: Record<PaperFiles, string> = {
  backgrounds: 'data/unsplash_backgrounds',
  gtMasks: 'notebooks/gt_masks',
};
