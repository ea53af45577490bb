/**
 * Activity: the mask-quality rows of a real dataset (docs/protocol.md section 11): the paper's 60 published
 * hand-labelled masks against the paper's own rembg masks (this dataset's 20); THIS pipeline's
 * masks of the same 20 images (the u2net model the prepare stage used, with its processing) against
 * the hand labels (`ours`) and against the published rembg masks (`ours vs rembg`, which should agree
 * almost exactly); and, for CUB when its official segmentations were available, the official masks
 * against our u2net masks over the test split (computed by the prepare stage, read from its manifest).
 */
import { join } from 'node:path';
import type { ExperimentConfig } from '../../configs/schema';
import type { DatasetName } from '../../contracts/grid';
import { GT_MASKS_SHA256SUMS } from '../../configs/paper/backgrounds';
import { fetchGtMasks } from '../../lib/data/backgrounds';
import { readSha256SumsFile } from '../../lib/data/download/checksumList';
import { maskQualityOfFolder } from '../../lib/data/maskQuality/gtMaskFolder';
import type { MaskQualityResult, Summary as LibSummary } from '../../lib/data/maskQuality/maskQuality';
import { readManifest } from '../../lib/store/stageOutput';
import type { ArtifactStore } from '../../lib/store/artifactStore';
import { ownMaskQualityOfFolder } from '../../lib/data/maskQuality/ownMasks';
import { U2netSession } from '../../lib/data/masks/u2netSession';
import { ensureLocalCopy } from './storedFiles';
import { storedU2net } from './maskParts';
import { paperDataSource } from '../paperData';
import { badInput, cachedStage, heartbeat, logInfo, type Stores } from '../context';
import type { DatasetRef, MaskQualityRow, Summary } from '../types';

// 2: our own masks' rows (ours, ours vs rembg).
const STAGE_VERSION = 2;

function toSummary(s: LibSummary): Summary {
  return { mean: s.mean, std: s.std, median: s.median, q1: s.q25, q3: s.q75, min: s.min, max: s.max };
}

export function summaryRow(dataset: string, source: string, q: MaskQualityResult): MaskQualityRow {
  return { dataset, source, n: q.images, iou: toSummary(q.iou), overlap: toSummary(q.overlap) };
}

export function measureMaskQuality(stores: Stores, cacheDir: string) {
  return async (config: ExperimentConfig, dataset: DatasetName, prepared: DatasetRef): Promise<MaskQualityRow[]> => {
    const store = await stores.get(config.storage.bucket);
    const files = readSha256SumsFile(GT_MASKS_SHA256SUMS).filter((f) => f.path.startsWith(`${dataset}/`));
    if (files.length === 0) throw badInput(`mask quality: the paper published no hand-labelled masks for '${dataset}'`);
    // The model decides our masks: its md5 is an input (a new model recomputes the rows).
    const inputs = { dataset, files: files.map((f) => [f.path, f.sha256]), u2netMd5: config.data.masks.u2netMd5 };
    const stage = await cachedStage(
      store,
      config.experiment,
      `mask-quality-${dataset}`,
      STAGE_VERSION,
      inputs,
      [prepared.digest],
      async (writer) => {
        // The files land under dir/<dataset>/ (their listed paths), the layout the scorers read.
        const dir = join(cacheDir, 'downloads', 'gt_masks', dataset);
        await fetchGtMasks({
          source: paperDataSource(config, 'gtMasks').source,
          destDir: dir,
          files,
          onProgress: (done, total, file) => heartbeat({ dataset, phase: 'gt masks', done, total, file }),
        });
        const published = (await maskQualityOfFolder(dir, { warn: (line) => logInfo(line) }))[dataset];
        await writer.putJson('published_per_image.json', published.perImage);
        const rows = [summaryRow(dataset, 'published', published)];
        const ours = await ownMaskRows(store, config, dataset, dir, cacheDir);
        rows.push(summaryRow(dataset, 'ours', ours.vsHand), summaryRow(dataset, 'ours vs rembg', ours.vsPublished));
        await writer.putJson('ours_per_image.json', {
          vsHand: ours.vsHand.perImage,
          vsRembg: ours.vsPublished.perImage,
        });
        const upstream = await readManifest(store, prepared.prefix);
        if (!upstream)
          throw new Error(`mask quality of ${dataset}: the prepared dataset ${prepared.prefix} has no manifest`);
        const official = upstream.metrics.officialMaskQuality as MaskQualityRow | undefined;
        if (official) rows.push(official);
        return { metrics: { rows } };
      },
    );
    return stage.manifest.metrics.rows as MaskQualityRow[];
  };
}

/**
 * Our masks of the dataset's hand-labelled images: the u2net model of the experiment (from the
 * store, where the prepare stage put it; downloaded and verified by md5 only if it is not there),
 * run on the published images as the prepare stage runs it on the dataset's.
 */
async function ownMaskRows(
  store: ArtifactStore,
  config: ExperimentConfig,
  dataset: string,
  gtMasksDir: string,
  cacheDir: string,
) {
  const model = await storedU2net(store, config, cacheDir);
  const session = await U2netSession.load(await ensureLocalCopy(store, model, cacheDir));
  try {
    heartbeat({ dataset, phase: 'our masks of the hand-labelled images' });
    const q = (await ownMaskQualityOfFolder(gtMasksDir, session, { datasets: [dataset] }))[dataset];
    if (!q) throw new Error(`mask quality of ${dataset}: no hand-labelled images under ${gtMasksDir}/${dataset}`);
    return q;
  } finally {
    await session.release();
  }
}
