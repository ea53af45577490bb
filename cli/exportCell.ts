/**
 * `bgbias export`: a trained cell's best weights (verified against their stage digest) as a
 * safetensors file that PyTorch loads into Cadene's BN-Inception plus the reference's embedder:
 *
 *   from safetensors.torch import load_file
 *   model.load_state_dict(load_file('cell.safetensors'))
 *
 * Only BN-Inception cells (the paper's model) have a PyTorch counterpart; the smoke preset's small
 * CNN is bgbias's own and is refused with a clear error. The file's metadata names the experiment,
 * the cell and the weights' store key, so an exported file can be traced back to its run.
 */
import { z } from 'zod';
import { StoredExperimentSchema } from '../configs/storedConfig';
import { cellKey } from '../contracts/ids';
import { encodeSafetensors } from '../lib/io/safetensors';
import { decodeWeights } from '../lib/ml/checkpoint/weights';
import { bnInceptionStateDict } from '../lib/ml/export/bnInceptionStateDict';
import { createBnInception } from '../lib/ml/models/bnInception';
import { ArtifactStore } from '../lib/store/artifactStore';
import { checkContentHash } from '../lib/store/integrity';
import type { S3Endpoint } from '../lib/store/s3Endpoint';
import { readVerifiedStageFile } from '../lib/store/stageOutput';

/** The part of a cell record the export reads (the whole record's schema belongs to the activities). */
const ExportedRecord = z.object({ train: z.object({ bestWeightsKey: z.string().min(1) }) });

export async function exportCellSafetensors(
  s3: S3Endpoint,
  bucket: string,
  experiment: string,
  cellId: string,
): Promise<{ bytes: Buffer; tensors: number }> {
  const store = await ArtifactStore.open(s3, bucket);
  const key = cellKey(experiment, cellId);
  if (!(await store.exists(key))) {
    const known = (await store.list(`${experiment}/cells/`)).map((k) =>
      k.slice(`${experiment}/cells/`.length).replace(/\.json$/, ''),
    );
    throw new Error(
      `export: experiment ${experiment} has no trained cell ${cellId} in bucket ${bucket} ` +
        `(trained: ${known.length ? known.join(', ') : 'none'})`,
    );
  }
  const config = await store.getJson(`${experiment}/config.json`, StoredExperimentSchema);
  if (config.model.kind !== 'bn-inception')
    throw new Error(
      `export: ${experiment}/${cellId} is a ${config.model.kind} model; only BN-Inception cells have a PyTorch ` +
        'counterpart (Cadene pretrainedmodels) to export to',
    );
  const raw = (await store.getJson(key)) as Record<string, unknown>;
  checkContentHash(raw, `s3://${bucket}/${key}`);
  const weightsKey = ExportedRecord.parse(raw).train.bestWeightsKey;
  // Every value is replaced by the stored weights, so the initial ones do not matter.
  const model = createBnInception({ embeddingSize: config.model.embeddingSize, seed: 'export' });
  try {
    decodeWeights(await readVerifiedStageFile(store, weightsKey), weightsKey, model);
    const state = bnInceptionStateDict(model);
    const metadata = { format: 'pt', producer: 'bgbias', experiment, cell: cellId, weights: weightsKey };
    return { bytes: encodeSafetensors(state, metadata), tensors: state.size };
  } finally {
    model.dispose();
  }
}
