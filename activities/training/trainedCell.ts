import type { ExperimentConfig } from '../../configs/schema';
import type { GridCell } from '../../contracts/grid';
import { decodeWeights } from '../../lib/ml/checkpoint/weights';
import { readVerifiedStageFile } from '../../lib/store/stageOutput';
import { buildCell, withStoredWeights } from '../buildCell';
import type { Stores } from '../context';

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
