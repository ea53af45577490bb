/**
 * Folder datasets (`data.folders.<name>`): their setting in full form, and the loss hyperparameters
 * a folder dataset gets where `lossParams.<name>` does not give them: the paper tuned its values per
 * dataset and published them for its three only, so a folder of the user's images starts from a
 * documented table and any value is overridable
 * (`lossParams.myshop.triplet.margin=0.2`, or the whole `lossParams.myshop={...}`).
 *
 * - paper preset (pretrained BN-Inception, fine-tuned): the paper's CUB200 values. Of its three
 *   datasets, CUB200 is closest to a typical folder of one's own images: a few hundred classes with
 *   tens of images each (Cars196 has ~80 per class, SOP ~5 per class and 11k classes), and it is the
 *   dataset of the paper's attention figure.
 * - smoke preset (a small CNN trained from scratch): the smoke dataset's values, since fine-tuning
 *   learning rates leave a from-scratch CNN's loss parameters nearly still (configs/presets.ts).
 *
 * The values filled in are part of the resolved configuration (config.json, the experiment identity).
 */
import { ValidationError } from '../contracts/errors';
import type { LossParamsTable } from '../contracts/lossParams';
import type { ExperimentConfig } from './schema';
import { PAPER_LOSS_PARAMS } from './paper/hyperparameters';
import { SMOKE_LOSS_PARAMS, type PresetName } from './presets';

export const FOLDER_LOSS_DEFAULTS: Readonly<Record<PresetName, LossParamsTable>> = {
  paper: PAPER_LOSS_PARAMS.cub200,
  smoke: SMOKE_LOSS_PARAMS,
};

/** Default loss table of a folder dataset under `preset`, as a fresh copy (the caller may edit it). */
export function folderLossDefaults(preset: PresetName): LossParamsTable {
  return structuredClone(FOLDER_LOSS_DEFAULTS[preset]);
}

/** A registered folder's setting in its full form (a bare path is `{ path }` with the defaults). */
export interface FolderDataset {
  path: string;
  masks?: string;
  split: 'auto' | 'folders' | 'seeded';
  /** The class split's seed: the setting's `splitSeed`, else the first of `seeds`. */
  splitSeed: number | string;
}

export function isFolderDataset(config: Pick<ExperimentConfig, 'data'>, dataset: string): boolean {
  return Object.hasOwn(config.data.folders ?? {}, dataset);
}

export function folderDataset(config: Pick<ExperimentConfig, 'data' | 'seeds'>, dataset: string): FolderDataset {
  if (!isFolderDataset(config, dataset))
    throw new ValidationError(`dataset ${dataset}: not a folder registered under data.folders`);
  const s = config.data.folders[dataset];
  const full = typeof s === 'string' ? { path: s, split: 'auto' as const } : s;
  return { ...full, splitSeed: full.splitSeed ?? config.seeds[0] };
}
