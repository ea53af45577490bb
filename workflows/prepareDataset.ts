import type { ExperimentConfig } from '../configs/schema';
import type { DatasetName } from '../contracts/grid';
import type { DatasetRef } from '../activities/types';
import { cpu } from './activityProxies';

/**
 * download (archives into the store, keyed by md5) -> extract + index + splits -> u2net masks ->
 * shards -> mask quality (published hand-labelled masks; CUB's official ones when present).
 * The synthetic smoke dataset is generated with exact masks, so it is one step.
 */
export async function prepareDataset(config: ExperimentConfig, dataset: DatasetName): Promise<DatasetRef> {
  if (dataset === 'synthetic') return cpu.generateSyntheticDataset(config);
  const archives = await cpu.downloadDatasetArchives(config, dataset);
  const prepared = await cpu.buildPreparedDataset(config, dataset, archives);
  const maskQuality = await cpu.measureMaskQuality(config, dataset, prepared);
  return { ...prepared, maskQuality };
}
