/**
 * The inputs of a real dataset's prepared stage (`<experiment>/dataset-<name>/<digest>`): everything
 * that changes its shards, so a changed setting (another storage format, short side, mask model)
 * never reuses shards prepared under the old one.
 */
import type { ExperimentConfig } from '../../configs/schema';
import type { DatasetCounts } from '../../lib/data/datasets/sources';

/** Bump when the mask computation changes (it is part of the masks' store address). */
export const MASK_VERSION = 1;
export const SHARD_SIZE = 256;

export function preparedStageInputs(
  config: ExperimentConfig,
  dataset: string,
  archives: readonly { name: string; md5: string }[],
  expected: DatasetCounts,
) {
  return {
    dataset,
    archives: [...archives].sort((a, b) => (a.name < b.name ? -1 : 1)).map((a) => ({ name: a.name, md5: a.md5 })),
    expected,
    shortSide: config.data.preparedShortSide,
    unreadable: config.data.unreadableImages,
    masks: { model: 'u2net', md5: config.data.masks.u2netMd5, version: MASK_VERSION },
    shardSize: SHARD_SIZE,
    format: config.data.preparedFormat,
    // Only a rehearsal has a cut: full runs keep the digests they had before the setting existed.
    ...(config.rehearsal ? { cut: config.rehearsal.cut } : {}),
  };
}
