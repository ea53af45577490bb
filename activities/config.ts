import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { InvalidConfigError, resolveExperiment } from '../configs/resolve';
import type { ExperimentConfig } from '../configs/schema';
import type { Stores } from './context';

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

/** `<experiment>/config.json`: lets `analyze` and `status` find an experiment's settings later. */
export function saveExperiment(stores: Stores) {
  return async (config: ExperimentConfig): Promise<void> => {
    const store = await stores.get(config.storage.bucket);
    await store.putJson(`${config.experiment}/config.json`, config);
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
