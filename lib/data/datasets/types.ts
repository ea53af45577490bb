/** The indexed form of a dataset: its class-disjoint splits as (relative path, label) lists. */
export type SplitName = 'train' | 'val' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

export interface IndexItem {
  /** Path of the image relative to the dataset's extraction folder; also its stable id. */
  path: string;
  /** Class label as the reference computes it (0-based; test labels keep their dataset numbering). */
  label: number;
  /** Official ground-truth mask relative to the same folder, where the dataset publishes one (CUB). */
  officialMask?: string;
}

export interface DatasetIndex {
  dataset: string;
  /** Classes in the train split: the size of the ArcFace / NormSoftmax weight matrix. */
  numTrainClasses: number;
  /** Splits in the reference's item order (test indices refer to it: gt_masks/<idx>_*). */
  splits: Record<SplitName, IndexItem[]>;
}
