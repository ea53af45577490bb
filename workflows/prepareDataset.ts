import type { ExperimentConfig } from '../configs/schema';
import type { DatasetName } from '../contracts/grid';
import type { DatasetRef } from '../activities/types';
import { cpu } from './activityProxies';
import { computeMaskParts } from './maskParts';

/**
 * download (archives into the store, keyed by md5) -> u2net masks in parts over the workers
 * (workflows/maskParts.ts) -> extract + index + splits, masks restored from the parts ->
 * shards -> mask quality (published hand-labelled masks; CUB's official ones when present).
 * The synthetic smoke dataset is generated with exact masks, so it is one step; a folder dataset is
 * imported, then built (activities/folderDataset.ts).
 */
export async function prepareDataset(config: ExperimentConfig, dataset: DatasetName): Promise<DatasetRef> {
  if (dataset === 'synthetic') return cpu.generateSyntheticDataset(config);
  // A folder of the user's images (data.folders.<name>): into the store once, then prepared like the
  // paper's datasets; it has no published masks to measure the masks' quality against.
  // (`folders ?? {}`: configurations resolved before the setting existed, in older histories, lack it.)
  if (Object.hasOwn(config.data.folders ?? {}, dataset)) {
    const imported = await cpu.importFolderDataset(config, dataset);
    return cpu.buildFolderDataset(config, dataset, imported);
  }
  const archives = await cpu.downloadDatasetArchives(config, dataset);
  const maskWork = await computeMaskParts(config, dataset, archives);
  const prepared = await cpu.buildPreparedDataset(config, dataset, archives, maskWork);
  const maskQuality = await cpu.measureMaskQuality(config, dataset, prepared);
  return { ...prepared, maskQuality };
}
