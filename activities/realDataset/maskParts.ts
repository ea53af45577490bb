/**
 * The u2net masks of a real dataset fanned out over workers (workflows/maskParts.ts drives them):
 *  - planMaskParts (cpu queue): stores the model once, extracts and indexes the dataset once to store
 *    the masks' image order (`masks/<dataset>/<maskDigest>/images.json`), and says how many parts
 *    there are. Nothing to do when the prepared stage is already stored.
 *  - computeMaskPart (gpu queue, any worker): one part, `part-NNNNN.bgsh`. A part already in the
 *    store is returned at once; else the worker extracts the dataset in its own cache (once for all
 *    the parts it takes), checks that its index gives the stored order, computes the part's masks
 *    (resuming from its cache folder after a retry on the same machine) and uploads the part.
 * The workflow history holds keys and counts only. buildPreparedDataset then restores every part.
 */
import os from 'node:os';
import { join } from 'node:path';
import type { ExperimentConfig } from '../../configs/schema';
import { isPaperDataset, type DatasetName, type PaperDataset } from '../../contracts/grid';
import { downloadUrlsFor } from '../../lib/data/datasets/sources';
import { chooseU2netProviders, cudaProviderInstalled } from '../../lib/data/masks/executionProvider';
import { U2netSession } from '../../lib/data/masks/u2netSession';
import { readManifest } from '../../lib/store/stageOutput';
import type { ArtifactStore } from '../../lib/store/artifactStore';
import { badInput, logInfo, type Stores } from '../context';
import type { DatasetArchives } from '../types';
import { localDataset, maskImageOrder, sortedArchives } from './localDataset';
import { maskOrderKey, maskPartsAddress, preparedStageInputs, preparedStagePrefix } from './preparedInputs';
import { datasetSource } from './sources';
import { ensureStoredPart, maskPartKey, partCount } from './storedMasks';
import { ensureLocalCopy, ensureStored, type StoredFileRef } from './storedFiles';
import { withTicker, type HeartbeatTicker } from './ticker';

const MASK_BATCH = 8;

export interface MaskPartsPlan {
  /** `masks/<dataset>/<maskDigest>` */
  prefix: string;
  /** Parts to compute (0 when the prepared stage is stored: buildPreparedDataset will find it). */
  parts: number;
  images: number;
}

export interface MaskPartInput {
  config: ExperimentConfig;
  dataset: DatasetName;
  archives: DatasetArchives;
  part: number;
}

export interface MaskPartResult {
  key: string;
  /** Masks this activity computed (0 when the part was stored), and the seconds they took. */
  computed: number;
  seconds: number;
}

/** What a worker tells the mask activities about itself (activities/context.ts ActivityDeps). */
export interface MaskWorker {
  /** Cores this process may use (onnxruntime's intra-op threads). */
  cores?: number;
  /** The process has a GPU of its own (workers/runWorkers.ts). */
  gpu?: boolean;
}

function checked(dataset: DatasetName, input: DatasetArchives, what: string): PaperDataset {
  if (!isPaperDataset(dataset)) throw badInput(`${what}: '${dataset}' is not a downloadable dataset`);
  if (input.dataset !== dataset) throw badInput(`${what}: archives of ${input.dataset} given for ${dataset}`);
  return dataset;
}

function address(config: ExperimentConfig, dataset: PaperDataset, input: DatasetArchives) {
  const inputs = preparedStageInputs(config, dataset, sortedArchives(input.archives), datasetSource(dataset).expected);
  return { inputs, ...maskPartsAddress(config, inputs) };
}

/**
 * The u2net model in the store (downloaded once, by the first activity that needs it); with
 * `progress`, the download and upload show in that activity's heartbeats.
 */
export function storedU2net(
  store: ArtifactStore,
  config: ExperimentConfig,
  cacheDir: string,
  progress?: { ticker: HeartbeatTicker; dataset: string },
): Promise<StoredFileRef> {
  return ensureStored(
    store,
    'models',
    {
      name: 'u2net.onnx',
      md5: config.data.masks.u2netMd5,
      urls: downloadUrlsFor({ name: 'u2net.onnx', urls: [config.data.masks.u2netUrl] }, config.data.mirrors),
    },
    cacheDir,
    (p) =>
      progress?.ticker.update({ dataset: progress.dataset, phase: `model ${p.phase}`, bytes: p.bytes, total: p.total }),
  );
}

export function planMaskParts(stores: Stores, cacheDir: string) {
  return async (config: ExperimentConfig, dataset: DatasetName, input: DatasetArchives): Promise<MaskPartsPlan> => {
    const ds = checked(dataset, input, 'planMaskParts');
    const store = await stores.get(config.storage.bucket);
    const { inputs, prefix, partSize } = address(config, ds, input);
    if (await readManifest(store, preparedStagePrefix(config, inputs)).catch(() => undefined))
      return { prefix, parts: 0, images: 0 };
    return withTicker(async (ticker) => {
      await storedU2net(store, config, cacheDir, { ticker, dataset });
      const orderKey = maskOrderKey(prefix);
      let images: string[];
      if (await store.stat(orderKey)) images = await storedOrder(store, orderKey);
      else {
        images = maskImageOrder((await localDataset(store, cacheDir, config, ds, input.archives, ticker)).index);
        await store.putJson(orderKey, { images });
      }
      const parts = partCount(images.length, partSize);
      logInfo(`${dataset}: masks of ${images.length} images in ${parts} part(s) of ${partSize} under ${prefix}`);
      return { prefix, parts, images: images.length };
    });
  };
}

async function storedOrder(store: ArtifactStore, key: string): Promise<string[]> {
  const v = await store.getJson<{ images?: unknown }>(key);
  if (!Array.isArray(v.images) || v.images.some((p) => typeof p !== 'string'))
    throw new Error(`${key}: expected {"images": [image paths]}, got ${JSON.stringify(v).slice(0, 120)}`);
  return v.images as string[];
}

async function loadU2net(
  store: ArtifactStore,
  config: ExperimentConfig,
  cacheDir: string,
  worker: MaskWorker,
  ticker: HeartbeatTicker,
  dataset: string,
): Promise<U2netSession> {
  const ref = await storedU2net(store, config, cacheDir, { ticker, dataset });
  const choice = chooseU2netProviders({
    gpu: worker.gpu ?? false,
    cudaVisibleDevices: process.env.CUDA_VISIBLE_DEVICES,
    cudaProviderInstalled: cudaProviderInstalled(),
  });
  return U2netSession.load(await ensureLocalCopy(store, ref, cacheDir), {
    intraOpThreads: worker.cores ?? Math.max(1, os.availableParallelism() - 1),
    providers: choice.providers,
    log: (line) => logInfo(`${line}; ${choice.why}`),
  });
}

export function computeMaskPart(stores: Stores, cacheDir: string, worker: MaskWorker = {}) {
  return async ({ config, dataset, archives, part }: MaskPartInput): Promise<MaskPartResult> => {
    const ds = checked(dataset, archives, 'computeMaskPart');
    const store = await stores.get(config.storage.bucket);
    const { prefix, partSize, maskDigest } = address(config, ds, archives);
    const key = maskPartKey(prefix, part);
    if (await store.stat(key)) return { key, computed: 0, seconds: 0 };
    return withTicker(async (ticker) => {
      const images = await storedOrder(store, maskOrderKey(prefix));
      if (!(Number.isInteger(part) && part >= 0 && part < partCount(images.length, partSize)))
        throw badInput(`computeMaskPart: part ${part} of ${dataset} does not exist (${images.length} images)`);
      const local = await localDataset(store, cacheDir, config, ds, archives.archives, ticker);
      // The order was stored by another worker from the same archives: a difference would mix masks.
      const mine = maskImageOrder(local.index);
      const first = mine.findIndex((p, i) => p !== images[i]);
      if (mine.length !== images.length || first >= 0)
        throw new Error(
          `${dataset}: this worker's index differs from the stored mask order ${maskOrderKey(prefix)} ` +
            `(${mine.length} vs ${images.length} images; first difference at ${first}: ${mine[first]} vs ${images[first]})`,
        );
      let session: U2netSession | undefined;
      const t0 = Date.now();
      const r = await ensureStoredPart(
        {
          store,
          prefix,
          root: local.acquired.root,
          images,
          maskDir: join(cacheDir, 'masks', maskDigest),
          masker: async () => (session ??= await loadU2net(store, config, cacheDir, worker, ticker, dataset)),
          partSize,
          batchSize: MASK_BATCH,
          unreadable: config.data.unreadableImages,
          onProgress: (p) => ticker.update({ dataset, phase: 'masks', part, masked: p.done, total: p.total }),
        },
        part,
        false,
      ).finally(() => session?.release());
      const seconds = (Date.now() - t0) / 1000;
      logInfo(`${dataset}: mask part ${part} stored (${r.computed} computed, ${r.existing} already local): ${key}`);
      return { key, computed: r.computed, seconds };
    });
  };
}
