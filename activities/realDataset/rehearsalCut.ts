/** A rehearsal's cut of a dataset index (configs/rehearsal.ts, lib/data/cutSplit.ts), and split sizes. */
import type { RehearsalConfig } from '../../configs/schema';
import { cutSplit } from '../../lib/data/cutSplit';
import { SPLIT_NAMES, type DatasetIndex, type SplitName } from '../../lib/data/datasets/types';
import type { SplitSize } from '../types';

export function cutIndex(index: DatasetIndex, cut: RehearsalConfig['cut']): DatasetIndex {
  const splits = Object.fromEntries(
    SPLIT_NAMES.map((s) => [s, cutSplit(index.splits[s], cut[s])]),
  ) as DatasetIndex['splits'];
  return { ...index, numTrainClasses: new Set(splits.train.map((i) => i.label)).size, splits };
}

export function splitSizes(index: {
  splits: Record<SplitName, readonly { label: number }[]>;
}): Record<SplitName, SplitSize> {
  return Object.fromEntries(
    SPLIT_NAMES.map((s) => [
      s,
      { count: index.splits[s].length, numClasses: new Set(index.splits[s].map((i) => i.label)).size },
    ]),
  ) as Record<SplitName, SplitSize>;
}
