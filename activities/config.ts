import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { ExperimentConflictError, identifyingSettings, settingsDifferences } from '../configs/experimentIdentity';
import { InvalidConfigError, resolveExperiment } from '../configs/resolve';
import type { ExperimentConfig } from '../configs/schema';
import type { ArtifactStore } from '../lib/store/artifactStore';
import { contentDigest, sha256Hex } from '../lib/store/digest';
import { logInfo, type Stores } from './context';

/** Preset + overrides -> validated config; a bad input fails the workflow at once, naming each field. */
export async function resolveConfig(input: unknown): Promise<ExperimentConfig> {
  try {
    return withTestBackgroundSeed(resolveExperiment(input));
  } catch (err) {
    if (err instanceof InvalidConfigError)
      throw ApplicationFailure.nonRetryable(err.message, 'InvalidConfigError', { issues: err.issues });
    throw err;
  }
}

/** The digest of the settings that determine an experiment's results (configs/experimentIdentity.ts). */
export const configDigest = (config: unknown): string => contentDigest(identifyingSettings(config));

export const configKey = (experiment: string) => `${experiment}/config.json`;

/**
 * How a stored config.json differs from a new one: `path: old -> new` lines (none: the same
 * experiment). A stored file that today's schema cannot read differs by definition.
 */
export function storedDifferences(stored: unknown, config: ExperimentConfig): string[] {
  try {
    return settingsDifferences(stored, config);
  } catch (err) {
    return [`config.json: not readable as a configuration (${(err as Error).message.split('\n')[0]})`];
  }
}

/**
 * `<experiment>/config.json`: lets `analyze` and `status` find an experiment's settings later. An
 * experiment name that holds other settings is refused (non-retryable, with the differences), unless
 * `replace`: then the old config.json and cell records move to `<experiment>/archive/<their digest>/`
 * (the stage outputs they point to stay where they are, content-addressed) and nothing is deleted.
 */
export function saveExperiment(stores: Stores) {
  return async (config: ExperimentConfig, options: { replace?: boolean } = {}): Promise<void> => {
    const store = await stores.get(config.storage.bucket);
    const key = configKey(config.experiment);
    if (await store.exists(key)) {
      const storedText = await store.getBuffer(key);
      let stored: unknown;
      try {
        stored = JSON.parse(storedText.toString('utf8'));
      } catch {
        stored = undefined;
      }
      const differences = storedDifferences(stored, config);
      if (differences.length > 0) {
        if (!options.replace) {
          const e = new ExperimentConflictError(config.experiment, differences, 'stored results', true);
          throw ApplicationFailure.nonRetryable(e.message, e.name, { differences });
        }
        let oldDigest: string;
        try {
          oldDigest = configDigest(stored);
        } catch {
          oldDigest = sha256Hex(storedText);
        }
        await archiveExperiment(store, config.experiment, oldDigest);
      }
    }
    await store.putJson(key, config);
  };
}

/**
 * evaluation.testBackgrounds 'unseeded' without a seed: a fresh one from the OS, drawn once here so
 * it is part of the configuration the workflow records (history, config.json, the report) and a
 * rerun given that seed draws the same backgrounds. A seed given by the user is kept.
 */
export function withTestBackgroundSeed(config: ExperimentConfig): ExperimentConfig {
  const e = config.evaluation;
  if (e.testBackgrounds !== 'unseeded' || e.testBackgroundSeed !== undefined) return config;
  return { ...config, evaluation: { ...e, testBackgroundSeed: randomBytes(16).toString('hex') } };
}

/** Copies config.json and cells/ under archive/<digest>/, then removes the originals (never the copies). */
async function archiveExperiment(store: ArtifactStore, experiment: string, digest: string): Promise<void> {
  const archive = `${experiment}/archive/${digest}`;
  const cells = await store.list(`${experiment}/cells/`);
  for (const key of [configKey(experiment), ...cells])
    await store.putBuffer(`${archive}/${key.slice(experiment.length + 1)}`, await store.getBuffer(key));
  for (const key of cells) await store.remove(key);
  logInfo(`${experiment}: results of the earlier settings kept under ${archive}/ (${cells.length} cell records)`);
}
