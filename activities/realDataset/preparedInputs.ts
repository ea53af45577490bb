/**
 * The inputs of a real dataset's prepared stage (`<experiment>/dataset-<name>/<digest>`): everything
 * that changes its shards, so a changed setting (another storage format, short side, mask model)
 * never reuses shards prepared under the old one.
 */
import type { ExperimentConfig } from '../../configs/schema';
import type { DatasetCounts } from '../../lib/data/datasets/sources';
import { stageDigest } from '../../lib/store/digest';

/** Bump when the mask computation changes (it is part of the masks' store address). */
export const MASK_VERSION = 1;
export const SHARD_SIZE = 256;
/** Version of the prepared stage `dataset-<name>`. */
export const PREPARED_STAGE_VERSION = 1;

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

/** `<experiment>/dataset-<name>/<digest>`: where buildPreparedDataset stores (or finds) the stage. */
export function preparedStagePrefix(config: ExperimentConfig, inputs: ReturnType<typeof preparedStageInputs>): string {
  const digest = stageDigest(`dataset-${inputs.dataset}`, PREPARED_STAGE_VERSION, inputs, []);
  return `${config.experiment}/dataset-${inputs.dataset}/${digest}`;
}

/**
 * Where a dataset's u2net mask parts live: `masks/<dataset>/<maskDigest>/part-NNNNN.bgsh`, outside
 * any experiment (they depend only on the archives, the model and which images each part holds).
 * `partSize` (data.masks.chunkImages) and a rehearsal's cut decide the parts' contents, so both are
 * in the digest; at the default 500 a full run's digest is the one it had before the setting existed.
 */
export function maskPartsAddress(config: ExperimentConfig, inputs: ReturnType<typeof preparedStageInputs>) {
  const partSize = config.data.masks.chunkImages;
  const maskDigest = stageDigest(
    `masks-${inputs.dataset}`,
    MASK_VERSION,
    { archives: inputs.archives, masks: inputs.masks, partSize, ...(inputs.cut ? { cut: inputs.cut } : {}) },
    [],
  );
  return { maskDigest, prefix: `masks/${inputs.dataset}/${maskDigest}`, partSize };
}

/** The masks' image order, stored once by planMaskParts (every part is a slice of it). */
export const maskOrderKey = (prefix: string) => `${prefix}/images.json`;
