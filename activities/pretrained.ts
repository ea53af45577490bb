import path from 'node:path';
import type { ExperimentConfig } from '../configs/schema';
import { downloadFromMirrors } from '../lib/data/download/downloadFile';
import type { PretrainedWeights } from './buildCell';
import { heartbeat } from './context';
import type { DataCache } from './dataCache';

let cached: { url: string; weights: Promise<PretrainedWeights> } | undefined;

/**
 * The ImageNet BN-Inception weights (Cadene pretrainedmodels 0.7.4), downloaded once per worker into
 * its cache, checked against the sha256 prefix in the file's published name, read by our own reader
 * of the legacy torch format. Mirrors for the file name come first (data.mirrors).
 */
export async function loadPretrained(config: ExperimentConfig, data: DataCache): Promise<PretrainedWeights> {
  const model = config.model;
  if (model.kind !== 'bn-inception') throw new Error(`${model.kind} has no ImageNet weights to load`);
  const url = model.pretrainedUrl;
  if (cached?.url !== url) {
    cached = {
      url,
      weights: (async () => {
        const name = path.basename(new URL(url).pathname);
        const dest = path.join(data.cacheDirectory, 'downloads', name);
        const result = await downloadFromMirrors([...(config.data.mirrors[name] ?? []), url], {
          dest,
          onProgress: (p) => heartbeat({ download: name, ...p }),
        });
        if (!result.sha256.startsWith(model.pretrainedSha256Prefix)) {
          throw new Error(
            `${name}: sha256 ${result.sha256} does not start with ${model.pretrainedSha256Prefix} (wrong or corrupted file from ${url})`,
          );
        }
        const { loadBnInceptionWeights } = await import('../lib/ml/models/pretrained');
        return loadBnInceptionWeights(result.path);
      })(),
    };
    cached.weights.catch(() => (cached = undefined));
  }
  return cached.weights;
}
