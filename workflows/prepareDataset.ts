import type { ExperimentConfig, DatasetName } from '../configs/schema';
import type { DatasetRef } from '../activities/types';
import { cpu } from './activityProxies';

/**
 * download -> index + splits -> masks -> shards (-> mask quality where ground truth exists).
 * The synthetic smoke dataset is generated with exact masks, so it is one step.
 */
export async function prepareDataset(config: ExperimentConfig, dataset: DatasetName): Promise<DatasetRef> {
  if (dataset === 'synthetic') return cpu.generateSyntheticDataset(config);
  const archives = await cpu.downloadDatasetArchives(config, dataset);
  const prepared = await cpu.buildPreparedDataset(config, dataset, archives);
  const maskQuality = await cpu.measureMaskQuality(config, dataset);
  return { ...prepared, maskQuality };
}
