/**
 * Where a worker reads the paper repository's published files (the 200 Unsplash backgrounds and the
 * 60 hand-labelled masks) from: a local copy when one is given, else their public addresses. Either
 * way every file is checked against its published sha256 (configs/backgrounds.ts), so the source
 * never enters a stage's digest.
 *
 * The local copy, first match wins:
 *   1. the setting `data.localDataDir` (part of the experiment, so it travels to every worker);
 *   2. the environment variable BGBIAS_PAPER_DATA_DIR of the worker (CI and the tests set it to the
 *      copy beside the checkout);
 *   3. none: download from `data.paperRepoUrl` (the repository at commit aea4857).
 * A relative path is taken from the repository root. A local copy has the layout of the paper's data
 * folder: unsplash_backgrounds/{val,test}/ and gt_masks/<dataset>/; the repository itself keeps
 * them under data/ and notebooks/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentConfig } from '../configs/schema';
import { projectRoot } from '../services/stateDir';
import { IN_LOCAL_COPY, IN_REPOSITORY, PAPER_DATA_ENV, type PaperFiles } from '../contracts/paperData';
import { badInput } from './context';

export { PAPER_DATA_ENV };
export type { PaperFiles };

export interface PaperDataSource {
  /** A local folder, or an address prefix ending in '/'. */
  source: string;
  /** Where it came from, for the log and error messages. */
  from: 'data.localDataDir' | typeof PAPER_DATA_ENV | 'data.paperRepoUrl';
}

export function paperDataSource(
  config: ExperimentConfig,
  files: PaperFiles,
  env: NodeJS.ProcessEnv = process.env,
): PaperDataSource {
  const fromEnv = env[PAPER_DATA_ENV];
  if (fromEnv !== undefined && fromEnv.trim() === '' && !config.data.localDataDir)
    throw badInput(`${PAPER_DATA_ENV} is set but empty: unset it to download the paper's files, or name a folder`);
  const local = config.data.localDataDir
    ? { dir: config.data.localDataDir, from: 'data.localDataDir' as const }
    : fromEnv
      ? { dir: fromEnv, from: PAPER_DATA_ENV as typeof PAPER_DATA_ENV }
      : undefined;
  if (!local)
    return {
      source: `${config.data.paperRepoUrl.replace(/\/+$/, '')}/${IN_REPOSITORY[files]}/`,
      from: 'data.paperRepoUrl',
    };
  const dir = path.resolve(projectRoot(), local.dir, IN_LOCAL_COPY[files]);
  if (!fs.existsSync(dir))
    throw badInput(
      `${local.from}=${local.dir}: no folder ${dir} (a local copy of the paper's data has ${IN_LOCAL_COPY[files]}/; ` +
        `without a local copy the files are downloaded from data.paperRepoUrl)`,
    );
  return { source: dir, from: local.from };
}
