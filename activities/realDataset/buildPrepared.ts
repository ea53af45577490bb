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
import { pathToFileURL } from 'node:url';
import type { ExperimentConfig } from '../../configs/schema';
import type { DatasetName } from '../../contracts/grid';
import { DATASET_SOURCES } from '../../configs/paper/datasets';
import { isPaperDataset, type PaperDataset } from '../../contracts/grid';
import { downloadUrlsFor, type DatasetSources } from '../../lib/data/datasets/sources';
import { acquireDataset } from '../../lib/data/datasets/acquire';
import { SPLIT_NAMES, type DatasetIndex, type SplitName } from '../../lib/data/datasets/types';
import { maskQualityAgainstOfficial } from '../../lib/data/maskQuality/officialMasks';
import { U2netSession } from '../../lib/data/masks/u2netSession';
import { prepareDataset } from '../../lib/data/prepareDataset';
import { stageDigest } from '../../lib/store/digest';
import { badInput, cachedStage, logInfo, type Stores } from '../context';
import type { DatasetArchives, DatasetRef, SplitRef } from '../types';
import { summaryRow } from './maskQualityRows';
import { MASK_VERSION, preparedStageInputs, SHARD_SIZE } from './preparedInputs';
import { datasetSource } from './sources';
import { computeStoredMasks } from './storedMasks';
import { cutIndex, splitSizes } from './rehearsalCut';
import { ensureLocalCopy, ensureStored } from './storedFiles';
import { withTicker } from './ticker';

const STAGE_VERSION = 1;
const MASK_PART_SIZE = 500;
const MASK_BATCH = 8;

/** Hard link (no copy of a multi-GB archive) where possible, else copy. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  await fsp.rm(to, { force: true });
  await fsp.link(from, to).catch(() => fsp.copyFile(from, to));
}

/** The index restricted to its test split (the official-mask check runs on test images). */
function testOnly(index: DatasetIndex): DatasetIndex {
  return { ...index, splits: { train: [], val: [], test: index.splits.test } };
}

export function buildPreparedDataset(stores: Stores, cacheDir: string) {
  return async (config: ExperimentConfig, dataset: DatasetName, input: DatasetArchives): Promise<DatasetRef> => {
    if (!isPaperDataset(dataset)) throw badInput(`buildPreparedDataset: '${dataset}' is not a downloadable dataset`);
    if (input.dataset !== dataset)
      throw badInput(`buildPreparedDataset: archives of ${input.dataset} given for ${dataset}`);
    const source = datasetSource(dataset);
    const store = await stores.get(config.storage.bucket);
    const archives = [...input.archives].sort((a, b) => (a.name < b.name ? -1 : 1));
    const inputs = preparedStageInputs(config, dataset, archives, source.expected);
    const masks = inputs.masks;
    const stage = await cachedStage(
      store,
      config.experiment,
      `dataset-${dataset}`,
      STAGE_VERSION,
      inputs,
      [],
      (writer) =>
        withTicker(async (ticker) => {
          const work = join(cacheDir, 'prepare', writer.ref.digest);
          // 1. The archives, from the store into this worker's cache (reused when already there).
          const files = [];
          await fsp.mkdir(join(work, 'downloads'), { recursive: true });
          for (const a of archives) {
            ticker.update({ dataset, phase: 'fetch archive', file: a.name, bytes: a.bytes });
            const local = await ensureLocalCopy(store, a, cacheDir, false); // acquire verifies the md5
            await linkOrCopy(local, join(work, 'downloads', a.name));
            const published = source.files.find((f) => f.name === a.name);
            if (!published)
              throw badInput(
                `${dataset}: archive ${a.name} is not one of its files (${source.files.map((f) => f.name).join(', ')})`,
              );
            files.push({ ...published, md5: a.md5, urls: [pathToFileURL(local).href] });
          }
          // 2. Extract, index, split, check the counts.
          ticker.update({ dataset, phase: 'extract + index' });
          const sources: DatasetSources = { ...DATASET_SOURCES, [dataset]: { files, expected: source.expected } };
          const acquired = await acquireDataset(dataset as PaperDataset, {
            sources,
            downloadDir: join(work, 'downloads'),
            extractDir: join(work, 'extracted'),
            env: {},
          }).catch((e: Error) => {
            // Wrong counts or a class in two splits: the archives are not the dataset; no retry helps.
            throw /does not match the protocol|occurs in both/.test(e.message) ? badInput(e.message) : e;
          });
          // A rehearsal keeps a deterministic slice of each split (configs/rehearsal.ts); the counts
          // above were checked on the whole dataset, whose sizes the cost estimate scales to.
          const index = config.rehearsal ? cutIndex(acquired.index, config.rehearsal.cut) : acquired.index;
          const items = SPLIT_NAMES.flatMap((s) => index.splits[s]);
          // 3. u2net masks of every image, resumable (local cache + parts in the store).
          const modelRef = await ensureStored(
            store,
            'models',
            {
              name: 'u2net.onnx',
              md5: config.data.masks.u2netMd5,
              urls: downloadUrlsFor({ name: 'u2net.onnx', urls: [config.data.masks.u2netUrl] }, config.data.mirrors),
            },
            cacheDir,
            (p) => ticker.update({ dataset, phase: `model ${p.phase}`, bytes: p.bytes, total: p.total }),
          );
          const maskDigest = stageDigest(
            `masks-${dataset}`,
            MASK_VERSION,
            // The cut changes which images each part holds, so it is part of the parts' address.
            { archives: inputs.archives, masks, partSize: MASK_PART_SIZE, ...(inputs.cut ? { cut: inputs.cut } : {}) },
            [],
          );
          const maskDir = join(cacheDir, 'masks', maskDigest);
          let session: U2netSession | undefined;
          const maskStart = Date.now();
          const maskResult = await computeStoredMasks({
            store,
            prefix: `masks/${dataset}/${maskDigest}`,
            root: acquired.root,
            images: items.map((i) => i.path),
            maskDir,
            masker: async () =>
              (session = await U2netSession.load(await ensureLocalCopy(store, modelRef, cacheDir), {
                intraOpThreads: Math.max(1, os.availableParallelism() - 1),
              })),
            partSize: MASK_PART_SIZE,
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
          const skippedPaths = new Set(prepared.skipped.map((s) => s.path));
          const splits = {} as Record<SplitName, SplitRef>;
          for (const split of SPLIT_NAMES) {
            const shardKeys = [];
            for (const s of prepared.shards.filter((x) => x.split === split)) {
              ticker.update({ dataset, phase: 'upload shards', file: s.file });
              shardKeys.push((await writer.putFile(`shards/${s.file}`, join(outDir, s.file))).key);
            }
            const kept = index.splits[split].filter((i) => !skippedPaths.has(i.path));
            splits[split] = {
              shardKeys,
              count: prepared.counts[split],
              numClasses: new Set(kept.map((i) => i.label)).size,
            };
          }
          await writer.putFile('index.json', prepared.indexFile);
          await fsp.rm(work, { recursive: true, force: true }); // extracted images: GBs, no longer needed
          return {
            metrics: {
              dataset,
              splits,
              numTrainClasses: index.numTrainClasses,
              full: splitSizes(acquired.index),
              // Only a measurement when masks were computed here (restored ones cost nothing).
              ...(maskResult.computed > 0 ? { maskTiming: { images: maskResult.computed, seconds: maskSeconds } } : {}),
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
    return {
      prefix: stage.prefix,
      digest: stage.digest,
      cached: stage.cached,
      dataset,
      splits: stage.manifest.metrics.splits as DatasetRef['splits'],
      full: stage.manifest.metrics.full as DatasetRef['full'],
      maskTiming: stage.manifest.metrics.maskTiming as DatasetRef['maskTiming'],
    };
  };
}
