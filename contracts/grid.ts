/**
 * The study's grid vocabulary: which datasets, losses and training modes exist, and one cell of the
 * grid. Plain constants and types, imported by every layer (workflows included), so nothing here
 * may touch Node, tfjs or I/O.
 */

/** The three datasets of the paper (docs/protocol.md section 2), downloadable from their published sources. */
export const PAPER_DATASETS = ['cars196', 'cub200', 'sop'] as const;
export type PaperDataset = (typeof PAPER_DATASETS)[number];

/** The datasets bgbias knows by name: the paper's three and the generated smoke dataset. */
export const DATASET_NAMES = [...PAPER_DATASETS, 'synthetic'] as const;
export type BuiltinDatasetName = (typeof DATASET_NAMES)[number];

/**
 * Every dataset an experiment may name: a built-in one, or a folder of the user's images registered
 * under `data.folders.<name>` (configs/schema.ts checks that the name is registered). `string & {}`
 * keeps the built-in names visible to the editor while admitting the registered ones.
 */
export type DatasetName = BuiltinDatasetName | (string & {});

/**
 * What a dataset name may look like: it is a segment of store keys (`<experiment>/dataset-<name>/`,
 * cell ids `<name>/<loss>/<mode>/s<seed>`) and of dotted setting paths (`lossParams.<name>.triplet`),
 * so no dots, slashes or upper case.
 */
export const DATASET_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export function isBuiltinDataset(dataset: string): dataset is BuiltinDatasetName {
  return (DATASET_NAMES as readonly string[]).includes(dataset);
}

export function isPaperDataset(dataset: string): dataset is PaperDataset {
  return (PAPER_DATASETS as readonly string[]).includes(dataset);
}

/** The five metric-learning losses (PML 1.x names, docs/protocol.md section 8). */
export const LOSS_NAMES = ['contrastive', 'triplet', 'multi_similarity', 'arcface', 'normalized_softmax'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

/** Training on the original images (`base`) or with BGAugment's random background swaps. */
export const MODES = ['base', 'bgaugment'] as const;
export type Mode = (typeof MODES)[number];

/** One model of the grid: trained on `dataset` with `loss` in `mode` from `seed`. */
export interface GridCell {
  dataset: DatasetName;
  loss: LossName;
  mode: Mode;
  seed: number;
}
