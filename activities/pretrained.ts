import path from 'node:path';
import type { ExperimentConfig } from '../configs/schema';
import { downloadUrlsFor } from '../lib/data/datasets/sources';
import type { ArtifactStore } from '../lib/store/artifactStore';
import type { PretrainedWeights } from './buildCell';
import { badInput, heartbeat, logInfo } from './context';
import type { DataCache } from './dataCache';
import { ensureLocalCopy, ensureStored } from './realDataset/storedFiles';

/** The weights of the last call, per worker: every cell on this worker trains from the same file. */
let cached: { key: string; weights: Promise<PretrainedWeights> } | undefined;

/**
 * The ImageNet BN-Inception weights (Cadene pretrainedmodels 0.7.4), kept ONCE PER STORE under
 * `models/<md5>/<file name>` (found through `models/by-name/<file name>.json`, which records its md5
 * and sha256): the first worker downloads the file from its addresses (data.mirrors[name],
 * BGBIAS_DATASET_MIRRORS prefixes, then model.pretrainedUrl), verifies that its sha256 starts with
 * model.pretrainedSha256Prefix and uploads it; every other worker, on any machine, takes it from the
 * store. Read by our own reader of the legacy torch format and checked against BN-Inception's
 * tensors. A wrong, truncated or unfitting file is a bad input (no retry can fix it) naming the file,
 * the addresses and what was wrong; plain network trouble stays retryable.
 */
export async function loadPretrained(
  config: ExperimentConfig,
  store: ArtifactStore,
  data: DataCache,
): Promise<PretrainedWeights> {
  const model = config.model;
  if (model.kind !== 'bn-inception') throw new Error(`${model.kind} has no ImageNet weights to load`);
  const { pretrainedUrl: url, pretrainedSha256Prefix: prefix } = model;
  const key = [store.bucket, url, prefix, JSON.stringify(config.data.mirrors), data.cacheDirectory].join('|');
  if (cached?.key !== key) {
    const weights = read(url, prefix, config.data.mirrors, store, data);
    cached = { key, weights };
    weights.catch(() => {
      if (cached?.weights === weights) cached = undefined;
    });
  }
  return cached.weights;
}

async function read(
  url: string,
  prefix: string,
  mirrors: Record<string, readonly string[]>,
  store: ArtifactStore,
  data: DataCache,
): Promise<PretrainedWeights> {
  const name = path.basename(new URL(url).pathname);
  const ref = await ensureStored(
    store,
    'models',
    { name, sha256Prefix: prefix, urls: downloadUrlsFor({ name, urls: [url] }, mirrors) },
    data.cacheDirectory,
    (p) => heartbeat({ pretrained: name, ...p }),
  );
  logInfo(`${name}: ${ref.origin === 'store' ? 'found in the store' : 'downloaded and stored'} as ${ref.key}`);
  const local = await ensureLocalCopy(store, ref, data.cacheDirectory);
  const { loadBnInceptionWeights, PretrainedWeightsError } = await import('../lib/ml/models/pretrained');
  try {
    return await loadBnInceptionWeights(local, `${name} (s3://${store.bucket}/${ref.key}, from ${url})`);
  } catch (e) {
    // The bytes are the ones asked for (checksum verified): reading them again gives the same error.
    // Anything else (the local disk) may pass on another attempt.
    throw e instanceof PretrainedWeightsError ? badInput(e.message) : e;
  }
}
