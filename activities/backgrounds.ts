import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { ExperimentConfig } from '../configs/schema';
import { UNSPLASH_BACKGROUNDS_SHA256SUMS } from '../configs/paper/backgrounds';
import { fetchBackgrounds } from '../lib/data/backgrounds';
import { readSha256SumsFile } from '../lib/data/download/checksumList';
import { decodeRgb } from '../lib/data/decodeShards';
import { encodeShard, type ShardItem } from '../lib/data/shardFormat';
import { resizeShorterSide } from '../lib/ml/transforms/pipeline';
import { cachedStage, heartbeat, logInfo, type Stores } from './context';
import { paperDataSource } from './paperData';
import type { BackgroundsRef } from './types';

const STAGE_VERSION = 1;

/**
 * The 200 Unsplash backgrounds (from a local copy or downloaded, activities/paperData.ts), verified against their published sha256 sums, resized once to the
 * prepared short side (the first step of the train transform, PIL-exact) and stored as two pools.
 */
export function prepareBackgrounds(stores: Stores, cacheDir: string) {
  return async (config: ExperimentConfig): Promise<BackgroundsRef> => {
    const store = await stores.get(config.storage.bucket);
    const files = readSha256SumsFile(UNSPLASH_BACKGROUNDS_SHA256SUMS);
    const inputs = {
      resizeShort: config.transform.resizeShort,
      files: files.map((f) => [f.path, f.sha256]),
    };
    const stage = await cachedStage(
      store,
      config.experiment,
      'backgrounds',
      STAGE_VERSION,
      inputs,
      [],
      async (writer) => {
        const from = paperDataSource(config, 'backgrounds');
        logInfo(`backgrounds from ${from.source} (${from.from})`);
        const pools = await fetchBackgrounds({
          source: from.source,
          destDir: path.join(cacheDir, 'downloads', 'unsplash_backgrounds'),
          files,
          onProgress: (done, total, file) => heartbeat({ done, total, file }),
        });
        const refs: Record<string, { key: string; count: number }> = {};
        for (const pool of ['val', 'test'] as const) {
          const items: ShardItem[] = [];
          for (const file of pools[pool]) {
            const img = resizeShorterSide(
              await decodeRgb(fs.readFileSync(file), file),
              config.transform.resizeShort,
              3,
            );
            const png = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
              .png()
              .toBuffer();
            items.push({ id: path.basename(file), label: 0, image: png, mask: Buffer.alloc(0) });
            heartbeat({ pool, resized: items.length });
          }
          refs[pool] = { key: (await writer.putBuffer(`${pool}.bgsh`, encodeShard(items))).key, count: items.length };
        }
        return { metrics: { pools: refs } };
      },
    );
    return {
      prefix: stage.prefix,
      digest: stage.digest,
      cached: stage.cached,
      pools: stage.manifest.metrics.pools as BackgroundsRef['pools'],
    };
  };
}
