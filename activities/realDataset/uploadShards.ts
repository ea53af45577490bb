/**
 * The last step of every prepared dataset (the paper's and folder datasets): the shard files of each
 * split uploaded into the stage, and each split's reference (shard keys, image count, and the
 * classes that still have an image after any skipped ones); then the DatasetRef the finished (or
 * cached) stage answers with.
 */
import { join } from 'node:path';
import { SPLIT_NAMES, type DatasetIndex, type SplitName } from '../../lib/data/datasets/types';
import type { PreparedDataset } from '../../lib/data/prepareDataset';
import type { StageWriter } from '../../lib/store/stageOutput';
import type { DatasetRef, SplitRef } from '../types';
import type { HeartbeatTicker } from './ticker';

export async function uploadShards(o: {
  writer: StageWriter;
  prepared: PreparedDataset;
  index: DatasetIndex;
  outDir: string;
  dataset: string;
  ticker: HeartbeatTicker;
}): Promise<Record<SplitName, SplitRef>> {
  const skippedPaths = new Set(o.prepared.skipped.map((s) => s.path));
  const splits = {} as Record<SplitName, SplitRef>;
  for (const split of SPLIT_NAMES) {
    const shardKeys = [];
    for (const s of o.prepared.shards.filter((x) => x.split === split)) {
      o.ticker.update({ dataset: o.dataset, phase: 'upload shards', file: s.file });
      shardKeys.push((await o.writer.putFile(`shards/${s.file}`, join(o.outDir, s.file))).key);
    }
    const kept = o.index.splits[split].filter((i) => !skippedPaths.has(i.path));
    splits[split] = { shardKeys, count: o.prepared.counts[split], numClasses: new Set(kept.map((i) => i.label)).size };
  }
  return splits;
}

/** A prepared dataset stage's reference, from its manifest's metrics (the same for a cached stage). */
export function preparedDatasetRef(
  stage: { prefix: string; digest: string; cached: boolean; manifest: { metrics: Record<string, unknown> } },
  dataset: string,
): DatasetRef {
  const m = stage.manifest.metrics;
  return {
    prefix: stage.prefix,
    digest: stage.digest,
    cached: stage.cached,
    dataset,
    splits: m.splits as DatasetRef['splits'],
    full: m.full as DatasetRef['full'],
    maskTiming: m.maskTiming as DatasetRef['maskTiming'],
  };
}
