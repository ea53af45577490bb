/**
 * A real dataset extracted and indexed in this worker's cache folder, from its archives in the store:
 * what buildPreparedDataset and every mask-part activity on the worker need (docs/architecture.md
 * "Workflows"). Kept under `<cache>/datasets/<dataset>-<digest of the archives' md5s>`, so the parts a
 * worker takes one after the other extract the archives once; concurrent calls in one process share
 * one extraction. An interrupted extraction resumes by acquireDataset's per-archive markers.
 */
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExperimentConfig } from '../../configs/schema';
import { DATASET_SOURCES } from '../../configs/paper/datasets';
import type { PaperDataset } from '../../contracts/grid';
import { acquireDataset, type AcquiredDataset } from '../../lib/data/datasets/acquire';
import type { DatasetSources } from '../../lib/data/datasets/sources';
import { SPLIT_NAMES, type DatasetIndex } from '../../lib/data/datasets/types';
import type { ArtifactStore } from '../../lib/store/artifactStore';
import { stageDigest } from '../../lib/store/digest';
import { badInput } from '../context';
import type { StoredFileRef } from './storedFiles';
import { ensureLocalCopy } from './storedFiles';
import { cutIndex } from './rehearsalCut';
import { datasetSource } from './sources';
import type { HeartbeatTicker } from './ticker';

export interface LocalDataset {
  acquired: AcquiredDataset;
  /** The index the stage uses: a rehearsal's cut of the whole one. */
  index: DatasetIndex;
  /** Where the extraction lives (removed by whoever no longer needs it). */
  dir: string;
}

/** Hard link (no copy of a multi-GB archive) where possible, else copy. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  await fsp.rm(to, { force: true });
  await fsp.link(from, to).catch(() => fsp.copyFile(from, to));
}

/** Archives sorted by name (the order every digest takes them in). */
export const sortedArchives = <T extends { name: string }>(archives: readonly T[]): T[] =>
  [...archives].sort((a, b) => (a.name < b.name ? -1 : 1));

/** `<cache>/datasets/<dataset>-<digest>`: one folder per set of archives. */
export function localDatasetDir(cacheDir: string, dataset: string, archives: readonly { md5: string }[]): string {
  const digest = stageDigest(`local-${dataset}`, 1, sortedArchives(archives as { name: string; md5: string }[]), []);
  return join(cacheDir, 'datasets', `${dataset}-${digest.slice(0, 16)}`);
}

/** Extractions of this process: in flight (shared by concurrent calls) or done (reused while on disk). */
const extractions = new Map<string, Promise<AcquiredDataset>>();

/**
 * The archives from the store into the cache, extracted, indexed, split, counts checked (a mismatch
 * is a BadInput: no retry helps), and cut for a rehearsal. A later call in the same process reuses
 * the extraction while its folder exists (no md5 of a multi-GB archive per mask part).
 */
export async function localDataset(
  store: ArtifactStore,
  cacheDir: string,
  config: ExperimentConfig,
  dataset: PaperDataset,
  archives: readonly StoredFileRef[],
  ticker: HeartbeatTicker,
): Promise<LocalDataset> {
  const dir = localDatasetDir(cacheDir, dataset, archives);
  let p = extractions.get(dir);
  if (
    p &&
    !(await p.then(
      (a) => existsSync(a.root),
      () => false,
    ))
  )
    p = undefined;
  if (!p) {
    p = extract(store, cacheDir, dataset, sortedArchives(archives), ticker, dir);
    p.catch(() => extractions.delete(dir));
    extractions.set(dir, p);
  }
  const acquired = await p;
  // A rehearsal keeps a deterministic slice of each split (configs/rehearsal.ts); the counts
  // were checked on the whole dataset, whose sizes the cost estimate scales to.
  const index = config.rehearsal ? cutIndex(acquired.index, config.rehearsal.cut) : acquired.index;
  return { acquired, index, dir };
}

async function extract(
  store: ArtifactStore,
  cacheDir: string,
  dataset: PaperDataset,
  archives: readonly StoredFileRef[],
  ticker: HeartbeatTicker,
  dir: string,
): Promise<AcquiredDataset> {
  const source = datasetSource(dataset);
  const files = [];
  await fsp.mkdir(join(dir, 'downloads'), { recursive: true });
  for (const a of archives) {
    ticker.update({ dataset, phase: 'fetch archive', file: a.name, bytes: a.bytes });
    const local = await ensureLocalCopy(store, a, cacheDir, false); // acquire verifies the md5
    await linkOrCopy(local, join(dir, 'downloads', a.name));
    const published = source.files.find((f) => f.name === a.name);
    if (!published)
      throw badInput(
        `${dataset}: archive ${a.name} is not one of its files (${source.files.map((f) => f.name).join(', ')})`,
      );
    files.push({ ...published, md5: a.md5, urls: [pathToFileURL(local).href] });
  }
  ticker.update({ dataset, phase: 'extract + index' });
  const sources: DatasetSources = { ...DATASET_SOURCES, [dataset]: { files, expected: source.expected } };
  return acquireDataset(dataset, {
    sources,
    downloadDir: join(dir, 'downloads'),
    extractDir: join(dir, 'extracted'),
    env: {},
  }).catch((e: Error) => {
    // Wrong counts or a class in two splits: the archives are not the dataset; no retry helps.
    throw /does not match the protocol|occurs in both/.test(e.message) ? badInput(e.message) : e;
  });
}

/** Every image of the index in the masks' fixed order (train, val, test, each in index order): parts are slices of it. */
export function maskImageOrder(index: DatasetIndex): string[] {
  return SPLIT_NAMES.flatMap((s) => index.splits[s]).map((i) => i.path);
}
