import type { ExperimentConfig } from '../../configs/schema';
import type { GridCell } from '../../contracts/grid';
import { decodeWeights } from '../../lib/ml/checkpoint/weights';
import { readVerifiedStageFile } from '../../lib/store/stageOutput';
import type { InputPool } from '../../lib/ml/input/inputPool';
import { buildCell, transformOf, withStoredWeights, type CellModel } from '../buildCell';
import type { Stores } from '../context';
import type { DataCache } from '../dataCache';
import type { DatasetRef } from '../types';

/** Loads a cell's best weights (verified) into a freshly built model (for evaluation and attribution). */
export async function loadTrainedCell(
  stores: Stores,
  config: ExperimentConfig,
  cell: GridCell,
  numClasses: number,
  bestWeightsKey: string,
) {
  const store = await stores.get(config.storage.bucket);
  // The stored weights replace every initial value, so no ImageNet file is needed here.
  const built = await buildCell(withStoredWeights(config), cell, numClasses);
  try {
    decodeWeights(await readVerifiedStageFile(store, bestWeightsKey), bestWeightsKey, built.model, built.loss);
  } catch (err) {
    built.dispose();
    throw err;
  }
  return built;
}

/**
 * A trained cell's model and an input pool over its dataset's test split (with the test background
 * pool when `testBackgroundsKey` is given), for one use: both are released however `use` ends.
 * Evaluation and attribution run their work inside it.
 */
export async function withTrainedCellOnTest<T>(
  o: {
    stores: Stores;
    data: DataCache;
    config: ExperimentConfig;
    cell: GridCell;
    dataset: DatasetRef;
    bestWeightsKey: string;
    testBackgroundsKey?: string;
  },
  use: (built: CellModel, input: InputPool) => Promise<T>,
): Promise<T> {
  const store = await o.stores.get(o.config.storage.bucket);
  const built = await loadTrainedCell(o.stores, o.config, o.cell, o.dataset.splits.train.numClasses, o.bestWeightsKey);
  let input: InputPool | undefined;
  try {
    input = await o.data.inputPool(store, {
      transform: transformOf(o.config),
      sources: { test: o.dataset.splits.test },
      ...(o.testBackgroundsKey ? { backgrounds: { test: o.testBackgroundsKey } } : {}),
    });
    return await use(built, input);
  } finally {
    built.dispose();
    await input?.close();
  }
}
