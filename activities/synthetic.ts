import type { ExperimentConfig } from '../configs/schema';
import {
  encodeSyntheticSplit,
  generateSyntheticDataset,
  SYNTHETIC_GENERATOR_VERSION,
  SYNTHETIC_SPLITS,
} from '../lib/data/synthetic';
import { cachedStage, heartbeat, type Stores } from './context';
import type { DatasetRef, SplitRef } from './types';

const STAGE_VERSION = 1;

/** The smoke preset's dataset: generated with exact masks, written as prepared shards. */
export function generateSyntheticDataset_(stores: Stores) {
  return async (config: ExperimentConfig): Promise<DatasetRef> => {
    const store = await stores.get(config.storage.bucket);
    const s = config.data.synthetic;
    // The generator's version is an input: changed generator code must not reuse an old dataset.
    const inputs = { ...s, generator: SYNTHETIC_GENERATOR_VERSION, format: config.data.preparedFormat };
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
        for (const split of SYNTHETIC_SPLITS) {
          heartbeat({ split });
          const items = data.splits[split];
          const shards = await encodeSyntheticSplit(items, config.data.preparedFormat);
          const shardKeys: string[] = [];
          for (const [i, buf] of shards.entries())
            shardKeys.push((await writer.putBuffer(`${split}/shard-${String(i).padStart(4, '0')}.bgsh`, buf)).key);
          splits[split] = { shardKeys, count: items.length, numClasses: new Set(items.map((it) => it.label)).size };
        }
        return { metrics: { splits } };
      },
    );
    return { prefix, digest, cached, dataset: 'synthetic', splits: manifest.metrics.splits as DatasetRef['splits'] };
  };
}
