/**
 * The model of an audit plan, loaded on the worker that runs the audit: tfjs and ONNX files come from
 * the store (their import under the digest of their bytes) into the worker's cache, a bgbias model is
 * rebuilt from its experiment's configuration and best weights.
 */
import { StoredExperimentSchema } from '../../configs/storedConfig';
import type { AttributionDistance } from '../../lib/ml/attribution/smoothGrad';
import type { AuditModel } from '../../lib/audit/models/auditModel';
import { bgbiasAuditModel } from '../../lib/audit/models/bgbiasModel';
import { loadOnnxModel } from '../../lib/audit/models/onnxModel';
import { loadTfjsModel } from '../../lib/audit/models/tfjsModel';
import { contiguousLabels } from '../../lib/ml/train/trainer';
import { transformOf } from '../buildCell';
import { cellKey, readCellRecord } from '../cells';
import type { Stores } from '../context';
import type { DataCache } from '../dataCache';
import { loadTrainedCell } from '../training/trainedCell';
import type { ResolvedAuditModel } from './types';

export interface LoadedAuditModel {
  model: AuditModel;
  /** The attribution target's distance: the loss's for a bgbias model, Euclidean otherwise. */
  distance: AttributionDistance;
}

export async function loadAuditModel(
  stores: Stores,
  data: DataCache,
  bucket: string,
  m: ResolvedAuditModel,
): Promise<LoadedAuditModel> {
  const store = await stores.get(bucket);
  if (m.kind === 'bgbias') {
    const config = await store.getJson(`${m.experiment}/config.json`, StoredExperimentSchema);
    const record = await readCellRecord(store, cellKey(m.experiment, m.cellId));
    const train = await data.split(store, record.dataset.splits.train);
    const built = await loadTrainedCell(stores, config, record.cell, contiguousLabels(train.labels).size, m.weightsKey);
    return {
      model: bgbiasAuditModel(built.model, transformOf(config), m.source, () => built.dispose()),
      distance: built.loss.distance,
    };
  }
  // Every file lands under the same local folder, so model.json finds its weight files beside it.
  let entry = '';
  for (const f of m.files) {
    const local = await data.localFile(store, f.key, { sha256: f.sha256, size: f.bytes });
    if (f.name === m.entry) entry = local;
  }
  if (!entry) throw new Error(`audit model ${m.source}: the entry file ${m.entry} is not among its stored files`);
  const model = m.kind === 'tfjs' ? await loadTfjsModel(entry, m.convention) : await loadOnnxModel(entry, m.convention);
  return { model, distance: 'euclidean' };
}
