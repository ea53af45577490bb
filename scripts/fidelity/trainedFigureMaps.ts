/**
 * The attention maps of a finished run's figure models (attribution.figureDataset / figureLoss, base
 * and BGAugment), recomputed from their stored best weights exactly as the attribution stage does:
 * the same seeded sample of test images, in the same order, with the same noise stream, so the maps
 * equal the report figure's. Reads the local store (the embedded services, started when needed).
 */
import * as tf from '@tensorflow/tfjs';
import { ExperimentSchema } from '../../configs/schema';
import type { CellRecord } from '../../activities/types';
import { DataCache } from '../../activities/dataCache';
import { loadTrainedCell } from '../../activities/training/trainedCell';
import { ensureServices } from '../../services/embedded';
import { resolveStateDir } from '../../services/stateDir';
import { ArtifactStore } from '../../lib/store/artifactStore';
import { smoothGradAttentionMap as attentionMap } from '../../lib/ml/attribution/smoothGrad';
import { blackReferenceEmbedding } from '../../lib/ml/attribution/blackReference';
import { contiguousLabels } from '../../lib/ml/train/trainer';
import { transformOf } from '../../activities/buildCell';
import { blackImageTensor } from '../../lib/ml/transforms/blackImage';
import { evalTransform } from '../../lib/ml/transforms/pipeline';
import type { AttentionFigureRow } from '../../lib/report/attentionFigure';
import { Rng } from '../../lib/util/rng';
import path from 'node:path';

export async function trainedFigureMaps(
  experiment: string,
  bucket = 'bgbias',
): Promise<{ rows: AttentionFigureRow[]; cell: string; downsampling: string }> {
  const endpoints = await ensureServices({});
  const store = await ArtifactStore.open(endpoints.s3, bucket);
  const config = await store.getJson(`${experiment}/config.json`, ExperimentSchema);
  const { figureDataset, figureLoss, figureImages } = config.attribution;
  const keys = (await store.list(`${experiment}/cells/`)).filter((k) => k.endsWith('.json'));
  const records: CellRecord[] = [];
  for (const k of keys) records.push(await store.getJson<CellRecord>(k));
  const find = (mode: string) => {
    const r = records.find(
      (c) => c.cell.dataset === figureDataset && c.cell.loss === figureLoss && c.cell.mode === mode,
    );
    if (!r) throw new Error(`${experiment}: no trained ${figureDataset}/${figureLoss}/${mode} cell in the store`);
    return r;
  };
  const data = new DataCache(path.join(resolveStateDir(), 'cache'));
  const stores = { get: async () => store };
  const cfg = transformOf(config);
  const maps: Record<string, Float32Array[]> = {};
  const images: AttentionFigureRow['image'][] = [];
  for (const mode of ['base', 'bgaugment']) {
    const record = find(mode);
    const [train, test] = await Promise.all([
      data.split(store, record.dataset.splits.train),
      data.split(store, record.dataset.splits.test),
    ]);
    const built = await loadTrainedCell(
      stores as never,
      config,
      record.cell,
      contiguousLabels(train.labels).size,
      record.train.bestWeightsKey,
    );
    const black = blackImageTensor(cfg);
    const reference = blackReferenceEmbedding(built.model, black);
    black.dispose();
    const order = Rng.fromSeed(`attribution/${record.cell.dataset}`).shuffle(
      Array.from({ length: test.length }, (_, i) => i),
    );
    const rng = Rng.fromSeed(`attribution-noise/${record.cell.seed}`);
    maps[mode] = [];
    for (const idx of order.slice(0, figureImages)) {
      const item = await test.get(idx);
      const t = evalTransform(item.image, item.mask, cfg);
      const image = tf.tensor3d(t.image, [cfg.crop, cfg.crop, 3]);
      const map = attentionMap(built.model, image, reference, built.loss.distance, rng, {
        copies: config.attribution.copies,
        noiseLevel: config.attribution.noiseLevel,
      });
      maps[mode].push(map.dataSync() as Float32Array);
      if (mode === 'base') images.push(evalRgb(t.image, cfg.mean, cfg.crop));
      tf.dispose([image, map]);
    }
    reference.dispose();
    built.dispose();
  }
  return {
    rows: images.map((image, i) => ({ image, baseMap: maps.base[i], bgaugmentMap: maps.bgaugment[i], size: cfg.crop })),
    cell: `${figureDataset}/${figureLoss}`,
    downsampling: config.model.kind === 'small-cnn' ? config.model.downsampling : 'n/a (bn-inception)',
  };
}

function evalRgb(bgr: Float32Array, mean: readonly number[], size: number) {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++)
    for (let c = 0; c < 3; c++)
      data[i * 3 + c] = Math.max(0, Math.min(255, Math.round(bgr[i * 3 + 2 - c] + mean[2 - c])));
  return { width: size, height: size, data };
}
