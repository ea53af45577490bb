// Wired to lib/data's acquire/prepare/mask-quality functions (see below).
import type { ExperimentConfig, DatasetName } from '../configs/schema';
import type { Stores } from './context';
import type { DatasetRef, MaskQualityRow } from './types';

export interface ArchiveRef {
  name: string;
  key: string;
  md5: string;
  sha256: string;
}

export function downloadDatasetArchives(_stores: Stores, _cacheDir: string) {
  return async (_config: ExperimentConfig, dataset: DatasetName): Promise<ArchiveRef[]> => {
    throw new Error(`download of ${dataset}: not wired yet`);
  };
}

export function buildPreparedDataset(_stores: Stores, _cacheDir: string) {
  return async (_config: ExperimentConfig, dataset: DatasetName, _archives: ArchiveRef[]): Promise<DatasetRef> => {
    throw new Error(`prepare of ${dataset}: not wired yet`);
  };
}

export function measureMaskQuality(_stores: Stores, _cacheDir: string) {
  return async (_config: ExperimentConfig, dataset: DatasetName): Promise<MaskQualityRow[]> => {
    throw new Error(`mask quality of ${dataset}: not wired yet`);
  };
}
