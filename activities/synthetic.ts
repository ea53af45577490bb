import type { ExperimentConfig } from '../configs/schema';
import {
  encodeSyntheticSplit,
  generateSyntheticDataset,
  SYNTHETIC_GENERATOR_VERSION,
  SYNTHETIC_SPLITS,
} from '../lib/data/synthetic';
import { cachedStage, heartbeat, type Stores } from './context';
import { cutSplit } from '../lib/data/cutSplit';
import type { DatasetRef, SplitRef, SplitSize } from './types';

const STAGE_VERSION = 1;

/** The smoke preset's dataset: generated with exact masks, written as prepared shards. */
export function generateSyntheticDataset_(stores: Stores) {
  return async (config: ExperimentConfig): Promise<DatasetRef> => {
    const store = await stores.get(config.storage.bucket);
    const s = config.data.synthetic;
    // The generator's version is an input: changed generator code must not reuse an old dataset.
    const cut = config.rehearsal?.cut;
    const inputs = {
      ...s,
      generator: SYNTHETIC_GENERATOR_VERSION,
      format: config.data.preparedFormat,
      // A rehearsal's slice (configs/rehearsal.ts); absent for full runs, whose digests stay as they were.
      ...(cut ? { cut } : {}),
    };
    const { manifest, cached, prefix, digest } = await cachedStage(
      store,
      config.experiment,
      'dataset-synthetic',
      STAGE_VERSION,
      inputs,
      [],
      async (writer) => {
        const data = generateSyntheticDataset({
          seed: s.seed,
          size: s.size,
          classes: s.classes,
          imagesPerClass: s.imagesPerClass,
        });
        const splits: Record<string, SplitRef> = {};
        const full: Record<string, SplitSize> = {};
        for (const split of SYNTHETIC_SPLITS) {
          heartbeat({ split });
          const all = data.splits[split];
          full[split] = { count: all.length, numClasses: new Set(all.map((it) => it.label)).size };
          const items = cut ? cutSplit(all, cut[split]) : all;
          const shards = await encodeSyntheticSplit(items, config.data.preparedFormat);
          const shardKeys: string[] = [];
          for (const [i, buf] of shards.entries())
            shardKeys.push((await writer.putBuffer(`${split}/shard-${String(i).padStart(4, '0')}.bgsh`, buf)).key);
          splits[split] = { shardKeys, count: items.length, numClasses: new Set(items.map((it) => it.label)).size };
        }
        return { metrics: { splits, full } };
      },
    );
    return {
      prefix,
      digest,
      cached,
      dataset: 'synthetic',
      splits: manifest.metrics.splits as DatasetRef['splits'],
      full: manifest.metrics.full as DatasetRef['full'],
    };
  };
}
