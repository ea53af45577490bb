/**
 * Loss hyperparameters of a folder dataset (`data.folders.<name>`) that `lossParams.<name>` does not
 * give: the paper tuned its values per dataset and published them for its three only, so a folder of
 * the user's images starts from a documented table and any value is overridable
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
import type { LossParamsTable } from '../contracts/lossParams';
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
