/**
 * Reading an experiment's stored `<experiment>/config.json`, whichever version of bgbias wrote it.
 * Settings removed since are dropped before today's schema checks the rest, so `bgbias analyze` and
 * `listTrainedCells` keep working on experiments trained before a change (nothing stored is lost).
 * Every change to the schema that would reject an older file adds its step here, with its date.
 */
import { z } from 'zod';
import { ExperimentSchema } from './schema';

/**
 * The fields each model kind has today (before 2026-10, every kind carried all of them). A field added
 * later must be listed too, or a file that has it would lose it on read (`downsampling`, 2026-12: files
 * written before it existed lack it and read as the schema's default, 'strided', which they were).
 */
const MODEL_FIELDS: Record<string, readonly string[]> = {
  'small-cnn': ['kind', 'embeddingSize', 'width', 'downsampling'],
  'bn-inception': ['kind', 'embeddingSize', 'pretrained', 'pretrainedUrl', 'pretrainedSha256Prefix'],
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An older config.json's content in today's shape (anything unrecognised is left for the schema to name). */
export function upgradeStoredConfig(raw: unknown): unknown {
  if (!isRecord(raw)) return raw;
  const out: Record<string, unknown> = { ...raw };
  // 2026-10: `backend` removed. It was never read: each worker process chooses its tfjs backend.
  delete out.backend;
  // 2026-10: `model` became a union on `kind`; the flat form carried every kind's knobs.
  const model = out.model;
  if (isRecord(model) && typeof model.kind === 'string' && MODEL_FIELDS[model.kind]) {
    out.model = Object.fromEntries(MODEL_FIELDS[model.kind].filter((k) => k in model).map((k) => [k, model[k]]));
  }
  // 2026-12: evaluation.corruptedRepetitions became evaluation.swappedRepetitions (one term, "swapped").
  const evaluation = out.evaluation;
  if (isRecord(evaluation) && 'corruptedRepetitions' in evaluation && !('swappedRepetitions' in evaluation)) {
    const { corruptedRepetitions, ...rest } = evaluation;
    out.evaluation = { ...rest, swappedRepetitions: corruptedRepetitions };
  }
  // 2026-12: evaluation.valBackgrounds added, default 'per-epoch'. Experiments stored before it drew
  // their swapped validation backgrounds once per run, so they read as 'fixed', what they trained with.
  if (isRecord(out.evaluation) && !('valBackgrounds' in out.evaluation)) {
    out.evaluation = { ...out.evaluation, valBackgrounds: 'fixed' };
  }
  return out;
}

/** A stored experiment configuration: upgraded, then validated like a new one. */
export const StoredExperimentSchema = z.preprocess(upgradeStoredConfig, ExperimentSchema);
