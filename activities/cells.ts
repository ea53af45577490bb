import type { ExperimentConfig } from '../configs/schema';
import { StoredExperimentSchema } from '../configs/storedConfig';
import { badInput, type Stores } from './context';
import type { CellRecord } from './types';

const cellKey = (experiment: string, cellId: string) => `${experiment}/cells/${cellId}.json`;

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
    for (const key of keys) cells.push(await store.getJson<CellRecord>(key));
    return { config, cells };
  };
}
