/**
 * Activity: stored archives -> extract + index + exact splits (counts checked) -> u2net masks
 * (docs/protocol.md section 3: the paper used u2net for every dataset; CUB's official segmentations only serve
 * the mask-quality check) -> images and masks resized to the prepared short side -> shards, as the
 * content-addressed stage `<experiment>/dataset-<name>/<digest>`. The digest covers the archives'
 * md5s, the model's md5 and every setting that changes the shards, so a rerun is "cached".
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { ExperimentConfig } from '../../configs/schema';
import type { DatasetName } from '../../contracts/grid';
import { isPaperDataset } from '../../contracts/grid';
import type { DatasetIndex } from '../../lib/data/datasets/types';
import { maskQualityAgainstOfficial } from '../../lib/data/maskQuality/officialMasks';
import { U2netSession } from '../../lib/data/masks/u2netSession';
import { prepareDataset } from '../../lib/data/prepareDataset';
import { badInput, cachedStage, logInfo, type Stores } from '../context';
import type { DatasetArchives, DatasetRef } from '../types';
import { summaryRow } from './maskQualityRows';
import { localDataset, maskImageOrder, sortedArchives } from './localDataset';
import { storedU2net } from './maskParts';
import { maskPartsAddress, PREPARED_STAGE_VERSION, preparedStageInputs, SHARD_SIZE } from './preparedInputs';
import { datasetSource } from './sources';
import { computeStoredMasks } from './storedMasks';
import { splitSizes } from './rehearsalCut';
import { ensureLocalCopy } from './storedFiles';
import { withTicker } from './ticker';
import { preparedDatasetRef, uploadShards } from './uploadShards';

const MASK_BATCH = 8;

/** The index restricted to its test split (the official-mask check runs on test images). */
function testOnly(index: DatasetIndex): DatasetIndex {
  return { ...index, splits: { train: [], val: [], test: index.splits.test } };
}

/**
 * `maskWork`: what the mask-part activities computed (workflows/maskParts.ts), for the stage's mask
 * timing; the parts themselves are found in the store.
 */
export function buildPreparedDataset(stores: Stores, cacheDir: string, worker: { cores?: number } = {}) {
  return async (
    config: ExperimentConfig,
    dataset: DatasetName,
    input: DatasetArchives,
    maskWork?: { images: number; seconds: number },
  ): Promise<DatasetRef> => {
    if (!isPaperDataset(dataset)) throw badInput(`buildPreparedDataset: '${dataset}' is not a downloadable dataset`);
    if (input.dataset !== dataset)
      throw badInput(`buildPreparedDataset: archives of ${input.dataset} given for ${dataset}`);
    const source = datasetSource(dataset);
    const store = await stores.get(config.storage.bucket);
    const archives = sortedArchives(input.archives);
    const inputs = preparedStageInputs(config, dataset, archives, source.expected);
    const stage = await cachedStage(
      store,
      config.experiment,
      `dataset-${dataset}`,
      PREPARED_STAGE_VERSION,
      inputs,
      [],
      (writer) =>
        withTicker(async (ticker) => {
          const work = join(cacheDir, 'prepare', writer.ref.digest);
          // 1-2. The archives from the store, extracted, indexed, split, counts checked (and cut).
          const local = await localDataset(store, cacheDir, config, dataset, archives, ticker);
          const { acquired, index } = local;
          const items = maskImageOrder(index);
          // 3. u2net masks of every image: restored from the parts the mask-part activities stored
          //    (computed here only for a part that is missing, e.g. a stage started by older code).
          const modelRef = await storedU2net(store, config, cacheDir, { ticker, dataset });
          const { maskDigest, prefix, partSize } = maskPartsAddress(config, inputs);
          const maskDir = join(cacheDir, 'masks', maskDigest);
          let session: U2netSession | undefined;
          const maskStart = Date.now();
          const maskResult = await computeStoredMasks({
            store,
            prefix,
            root: acquired.root,
            images: items,
            maskDir,
            masker: async () =>
              (session = await U2netSession.load(await ensureLocalCopy(store, modelRef, cacheDir), {
                intraOpThreads: worker.cores ?? Math.max(1, os.availableParallelism() - 1),
                log: logInfo,
              })),
            partSize,
            batchSize: MASK_BATCH,
            unreadable: config.data.unreadableImages,
            onProgress: (p) =>
              ticker.update({
                dataset,
                phase: 'masks',
                masked: p.done,
                total: p.total,
                computed: p.computed,
                restored: p.restored,
              }),
          }).finally(() => session?.release());
          const maskSeconds = (Date.now() - maskStart) / 1000;
          logInfo(
            `${dataset}: masks computed ${maskResult.computed}, restored from the store ${maskResult.restored}, ` +
              `already local ${maskResult.existing}`,
          );
          // Where the masks were computed: by the parts (their own time), and here for any missing part.
          const computedImages = (maskWork?.images ?? 0) + maskResult.computed;
          const computedSeconds = (maskWork?.seconds ?? 0) + (maskResult.computed > 0 ? maskSeconds : 0);
          // 4. Resized images + masks -> shards.
          const outDir = join(work, 'shards');
          await fsp.rm(outDir, { recursive: true, force: true });
          const prepared = await prepareDataset({
            index,
            root: acquired.root,
            maskDir,
            outDir,
            shardSize: SHARD_SIZE,
            shortSide: config.data.preparedShortSide,
            format: config.data.preparedFormat,
            unreadable: config.data.unreadableImages,
            onProgress: (p) => ticker.update({ dataset, phase: `shards ${p.split}`, done: p.done, total: p.total }),
          });
          // 5. Official segmentations (CUB) against our masks, while images and masks are at hand.
          let official;
          if (index.splits.test.some((i) => i.officialMask)) {
            ticker.update({ dataset, phase: 'official mask quality' });
            const q = await maskQualityAgainstOfficial(testOnly(index), acquired.root, maskDir);
            official = summaryRow(dataset, 'official', q);
            await writer.putJson('official_mask_quality.json', q.perImage);
          }
          // 6. Upload shards, then the index; the manifest (written by cachedStage) comes last.
          const splits = await uploadShards({ writer, prepared, index, outDir, dataset, ticker });
          await writer.putFile('index.json', prepared.indexFile);
          // Extracted images: GBs, no longer needed here (mask-part workers keep theirs: localDataset.ts).
          await fsp.rm(work, { recursive: true, force: true });
          await fsp.rm(local.dir, { recursive: true, force: true });
          return {
            metrics: {
              dataset,
              splits,
              numTrainClasses: index.numTrainClasses,
              full: splitSizes(acquired.index),
              // Only a measurement when masks were computed here (restored ones cost nothing).
              ...(computedImages > 0 ? { maskTiming: { images: computedImages, seconds: computedSeconds } } : {}),
              maskSource: 'u2net',
              skipped: prepared.skipped,
              masks: {
                computed: maskResult.computed,
                restored: maskResult.restored,
                existing: maskResult.existing,
                skipped: maskResult.skipped.length,
              },
              ...(official ? { officialMaskQuality: official } : {}),
            },
          };
        }),
    );
    return preparedDatasetRef(stage, dataset);
  };
}
