/**
 * Activity: the mask-quality rows of a real dataset (docs/protocol.md section 11): the paper's 60 published
 * hand-labelled masks against the paper's own rembg masks (this dataset's 20), and, for CUB when
 * its official segmentations were available, the official masks against our u2net masks over the
 * test split (computed by the prepare stage, read from its manifest).
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
import { paperDataSource } from '../paperData';
import { badInput, cachedStage, heartbeat, logInfo, type Stores } from '../context';
import type { DatasetRef, MaskQualityRow, Summary } from '../types';

const STAGE_VERSION = 1;

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
    const inputs = { dataset, files: files.map((f) => [f.path, f.sha256]) };
    const stage = await cachedStage(
      store,
      config.experiment,
      `mask-quality-${dataset}`,
      STAGE_VERSION,
      inputs,
      [prepared.digest],
      async (writer) => {
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
