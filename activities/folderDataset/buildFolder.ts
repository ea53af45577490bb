/**
 * Activity: an imported folder (importFolder.ts) -> index + class-disjoint split
 * (lib/data/datasets/folderIndex.ts, seeded, recorded as split.json) -> masks (the folder's own, or
 * u2net as for the paper's datasets) -> shards, as the content-addressed stage
 * `<experiment>/dataset-<name>/<digest>` the paper's datasets use: the same DatasetRef, so training,
 * evaluation, attribution and the report take it as they take CUB200. The digest covers the
 * import's digest, the split rule and seed, the mask source and every setting that changes the shards.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import type { ExperimentConfig } from '../../configs/schema';
import { folderDataset } from '../../configs/folderDatasets';
import { FOLDER_SPLIT_VERSION, indexFolder, maskFileFor } from '../../lib/data/datasets/folderIndex';
import { SPLIT_NAMES } from '../../lib/data/datasets/types';
import { maskPathFor } from '../../lib/data/masks/computeMasks';
import { U2netSession } from '../../lib/data/masks/u2netSession';
import { prepareDataset } from '../../lib/data/prepareDataset';
import { decodeShard } from '../../lib/data/shardFormat';
import { stageDigest } from '../../lib/store/digest';
import type { ArtifactStore } from '../../lib/store/artifactStore';
import { readManifest, readVerifiedStageFile } from '../../lib/store/stageOutput';
import { badInput, cachedStage, logInfo, type Stores } from '../context';
import { MASK_VERSION, SHARD_SIZE } from '../realDataset/preparedInputs';
import { cutIndex, splitSizes } from '../realDataset/rehearsalCut';
import { computeStoredMasks } from '../realDataset/storedMasks';
import { ensureLocalCopy } from '../realDataset/storedFiles';
import { storedU2net } from '../realDataset/maskParts';
import { withTicker, type HeartbeatTicker } from '../realDataset/ticker';
import { preparedDatasetRef, uploadShards } from '../realDataset/uploadShards';
import type { DatasetRef } from '../types';
import type { FolderFiles, FolderImportRef } from './importFolder';

const STAGE_VERSION = 1;
const MASK_PART_SIZE = 500;
const MASK_BATCH = 8;

/** Everything that changes the prepared shards of a folder dataset (the stage's digest inputs). */
export function folderStageInputs(config: ExperimentConfig, dataset: string, imported: FolderImportRef) {
  const setting = folderDataset(config, dataset);
  return {
    dataset,
    import: imported.digest,
    split: { mode: setting.split, seed: setting.splitSeed, version: FOLDER_SPLIT_VERSION },
    shortSide: config.data.preparedShortSide,
    unreadable: config.data.unreadableImages,
    masks: imported.masks
      ? { source: 'folder' }
      : { source: 'u2net', md5: config.data.masks.u2netMd5, version: MASK_VERSION },
    shardSize: SHARD_SIZE,
    format: config.data.preparedFormat,
    ...(config.rehearsal ? { cut: config.rehearsal.cut } : {}),
  };
}

/** The import's files (verified against its manifest) unpacked: images under root, masks in maskDir. */
async function unpackImport(
  store: ArtifactStore,
  imported: FolderImportRef,
  root: string,
  maskDir: string,
  ticker: HeartbeatTicker,
): Promise<FolderFiles> {
  const manifest = await readManifest(store, imported.prefix);
  if (!manifest) throw new Error(`${imported.prefix}: the folder's import is not in the store (was it removed?)`);
  const listing = JSON.parse(
    (await readVerifiedStageFile(store, `${imported.prefix}/files.json`)).toString('utf8'),
  ) as FolderFiles;
  const parts = manifest.files.filter((f) => /\/part-\d+\.bgsh$/.test(f.key)).map((f) => f.key);
  for (const [i, key] of parts.sort().entries()) {
    ticker.update({ dataset: imported.dataset, phase: 'unpack import', part: i, parts: parts.length });
    for (const item of decodeShard(await readVerifiedStageFile(store, key), key)) {
      const image = join(root, item.id);
      await fsp.mkdir(dirname(image), { recursive: true });
      await fsp.writeFile(image, item.image);
      if (item.mask.length > 0) {
        const mask = maskPathFor(maskDir, item.id);
        await fsp.mkdir(dirname(mask), { recursive: true });
        await fsp.writeFile(mask, item.mask);
      }
    }
  }
  return listing;
}

export function buildFolderDataset(stores: Stores, cacheDir: string) {
  return async (config: ExperimentConfig, dataset: string, imported: FolderImportRef): Promise<DatasetRef> => {
    if (imported.dataset !== dataset)
      throw badInput(`buildFolderDataset: import of ${imported.dataset} given for ${dataset}`);
    const setting = folderDataset(config, dataset);
    const store = await stores.get(config.storage.bucket);
    const inputs = folderStageInputs(config, dataset, imported);
    const stage = await cachedStage(
      store,
      config.experiment,
      `dataset-${dataset}`,
      STAGE_VERSION,
      inputs,
      [imported.digest],
      (writer) =>
        withTicker(async (ticker) => {
          const work = join(cacheDir, 'prepare-folder', writer.ref.digest);
          await fsp.rm(work, { recursive: true, force: true });
          const root = join(work, 'images');
          const ownMasks = join(work, 'masks');
          // 1. The stored copy of the folder, never the user's path.
          const listing = await unpackImport(store, imported, root, ownMasks, ticker);
          // 2. Index and split (seeded), recorded with the stage.
          const folder = indexFolder({
            dataset,
            files: listing.images.map((f) => f.path),
            split: setting.split,
            seed: setting.splitSeed,
            policy: config.data.unreadableImages,
            maskFiles: imported.masks
              ? new Set(listing.images.filter((f) => f.mask).map((f) => maskFileFor(f.path)))
              : undefined,
          });
          await writer.putJson('split.json', {
            layout: folder.layout,
            mode: setting.split,
            seed: setting.splitSeed,
            version: FOLDER_SPLIT_VERSION,
            classes: folder.classes,
            skipped: folder.skipped,
          });
          const index = config.rehearsal ? cutIndex(folder.index, config.rehearsal.cut) : folder.index;
          const items = SPLIT_NAMES.flatMap((s) => index.splits[s]);
          // 3. Masks: the folder's own, else u2net (resumable parts in the store, as for the paper's datasets).
          let maskDir = ownMasks;
          let maskResult;
          let maskSeconds = 0;
          if (!imported.masks) {
            const modelRef = await storedU2net(store, config, cacheDir, { ticker, dataset });
            const maskDigest = stageDigest(
              `masks-${dataset}`,
              MASK_VERSION,
              {
                import: imported.digest,
                masks: inputs.masks,
                partSize: MASK_PART_SIZE,
                ...(inputs.cut ? { cut: inputs.cut } : {}),
              },
              [],
            );
            maskDir = join(cacheDir, 'masks', maskDigest);
            let session: U2netSession | undefined;
            const maskStart = Date.now();
            maskResult = await computeStoredMasks({
              store,
              prefix: `masks/${dataset}/${maskDigest}`,
              root,
              images: items.map((i) => i.path),
              maskDir,
              masker: async () =>
                (session = await U2netSession.load(await ensureLocalCopy(store, modelRef, cacheDir), {
                  intraOpThreads: Math.max(1, os.availableParallelism() - 1),
                })),
              partSize: MASK_PART_SIZE,
              batchSize: MASK_BATCH,
              unreadable: config.data.unreadableImages,
              onProgress: (p) => ticker.update({ dataset, phase: 'masks', masked: p.done, total: p.total }),
            }).finally(() => session?.release());
            maskSeconds = (Date.now() - maskStart) / 1000;
          }
          // 4. Resized images + masks -> shards.
          const outDir = join(work, 'shards');
          const prepared = await prepareDataset({
            index,
            root,
            maskDir,
            maskDirSource: imported.masks ? 'folder' : 'u2net',
            outDir,
            shardSize: SHARD_SIZE,
            shortSide: config.data.preparedShortSide,
            format: config.data.preparedFormat,
            unreadable: config.data.unreadableImages,
            onProgress: (p) => ticker.update({ dataset, phase: `shards ${p.split}`, done: p.done, total: p.total }),
          });
          // 5. Upload shards, then the index; the manifest (written by cachedStage) comes last.
          const splits = await uploadShards({ writer, prepared, index, outDir, dataset, ticker });
          for (const split of SPLIT_NAMES)
            if (splits[split].count === 0)
              throw badInput(`folder dataset ${dataset}: no readable image left in the ${split} split`);
          await writer.putFile('index.json', prepared.indexFile);
          await fsp.rm(work, { recursive: true, force: true });
          const skipped = [...folder.skipped, ...prepared.skipped];
          if (skipped.length > 0)
            logInfo(`${dataset}: ${skipped.length} image(s) skipped (data.unreadableImages=skip)`);
          return {
            metrics: {
              dataset,
              splits,
              numTrainClasses: index.numTrainClasses,
              full: splitSizes(folder.index),
              layout: folder.layout,
              maskSource: imported.masks ? 'folder' : 'u2net',
              ...(maskResult && maskResult.computed > 0
                ? { maskTiming: { images: maskResult.computed, seconds: maskSeconds } }
                : {}),
              skipped,
            },
          };
        }),
    );
    return preparedDatasetRef(stage, dataset);
  };
}
