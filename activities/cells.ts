import type { ExperimentConfig } from '../configs/schema';
import { StoredExperimentSchema } from '../configs/storedConfig';
import type { ArtifactStore } from '../lib/store/artifactStore';
import { badInput, type Stores } from './context';
import type { CellRecord } from './types';

export const cellKey = (experiment: string, cellId: string) => `${experiment}/cells/${cellId}.json`;

/** Records a finished cell where `analyze` finds it, independent of any workflow history. */
export function recordCell(stores: Stores) {
  return async (config: ExperimentConfig, record: CellRecord): Promise<void> => {
    const store = await stores.get(config.storage.bucket);
    await store.putJson(cellKey(config.experiment, record.cellId), record);
  };
}

/** The experiment's settings and every trained cell, from the store alone. */
export function listTrainedCells(stores: Stores) {
  return async (experiment: string, bucket: string): Promise<{ config: ExperimentConfig; cells: CellRecord[] }> => {
    const store = await stores.get(bucket);
    const configKey = `${experiment}/config.json`;
    if (!(await store.exists(configKey)))
      throw badInput(`experiment ${experiment}: no ${configKey} in bucket ${bucket} (was it ever run?)`);
    const config = await store.getJson(configKey, StoredExperimentSchema);
    const keys = (await store.list(`${experiment}/cells/`)).filter((k) => k.endsWith('.json')).sort();
    const cells: CellRecord[] = [];
    for (const key of keys) cells.push(await readCellRecord(store, key));
    return { config, cells };
  };
}

/** A stored cell record in today's shape, whichever version of bgbias wrote it. */
export async function readCellRecord(store: Pick<ArtifactStore, 'getJson'>, key: string): Promise<CellRecord> {
  return upgradeStoredCellRecord(await store.getJson(key));
}

/**
 * An older record's content in today's shape. Every change to CellRecord that would misread an
 * older file adds its step here, with its date (as configs/storedConfig.ts does for config.json).
 */
export function upgradeStoredCellRecord(raw: unknown): CellRecord {
  const record = structuredClone(raw) as {
    evaluation?: Record<string, unknown>;
    train?: Record<string, unknown>;
  };
  // 2026-12: the swapped-background test was called "corrupted" (the reference's word) in stored JSON.
  const evaluation = record.evaluation;
  if (evaluation && 'corrupted' in evaluation && !('swapped' in evaluation)) {
    evaluation.swapped = evaluation.corrupted;
    delete evaluation.corrupted;
  }
  if (record.train?.monitored === 'corrupted') record.train.monitored = 'swapped';
  return record as unknown as CellRecord;
}
