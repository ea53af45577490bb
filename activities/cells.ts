import { z } from 'zod';
import type { ExperimentConfig } from '../configs/schema';
import { StoredExperimentSchema } from '../configs/storedConfig';
import { LOSS_NAMES, MODES } from '../contracts/grid';
import { DatasetNameSchema } from '../configs/schema';
import { cellId } from '../contracts/ids';
import { CleanMetricsSchema, SwappedMetricsSchema } from '../lib/report/schema';
import type { ArtifactStore } from '../lib/store/artifactStore';
import { checkContentHash, withContentHash } from '../lib/store/integrity';
import { IntegrityError } from '../contracts/errors';
import { configDigest, configKey } from './config';
import { badInput, logInfo, type Stores } from './context';
import type { CellRecord } from './types';

import { cellKey } from '../contracts/ids';

export { cellKey };

const digest = z.string().regex(/^[0-9a-f]{64}$/);
const stageRef = { prefix: z.string().min(1), digest, cached: z.boolean() };

/**
 * A cell record as read back (after the upgrade steps below). The fields the analysis and the report
 * use are checked; the rest of each stage result passes through (loose objects) so that a field
 * added later does not make older records unreadable.
 */
export const CellRecordSchema = z.looseObject({
  cell: z.strictObject({
    dataset: DatasetNameSchema,
    loss: z.enum(LOSS_NAMES),
    mode: z.enum(MODES),
    seed: z.int().min(0),
  }),
  cellId: z.string().min(1),
  dataset: z.looseObject({ ...stageRef, dataset: DatasetNameSchema, splits: z.looseObject({}) }),
  backgrounds: z.looseObject({ ...stageRef, pools: z.looseObject({}) }),
  train: z.looseObject({
    ...stageRef,
    bestEpoch: z.int().min(0),
    epochsTrained: z.int().min(0),
    bestWeightsKey: z.string().min(1),
    historyKey: z.string().min(1),
    trainSeconds: z.number().min(0),
  }),
  evaluation: z.looseObject({ ...stageRef, clean: CleanMetricsSchema, swapped: SwappedMetricsSchema }),
  /** Digest of the settings that produced it (activities/config.ts configDigest); absent before 2026-12. */
  configDigest: digest.optional(),
  contentSha256: digest.optional(),
});

/** Records a finished cell where `analyze` finds it, independent of any workflow history. */
export function recordCell(stores: Stores) {
  return async (config: ExperimentConfig, record: CellRecord): Promise<void> => {
    const store = await stores.get(config.storage.bucket);
    const stored = JSON.parse(JSON.stringify({ ...record, configDigest: configDigest(config) }));
    await store.putJson(cellKey(config.experiment, record.cellId), withContentHash(stored));
  };
}

export interface TrainedCells {
  config: ExperimentConfig;
  cells: CellRecord[];
  /** Records of other settings (or outside this config's grid) found under cells/ and left out. */
  skipped?: string[];
}

/**
 * The experiment's settings and the trained cells of exactly those settings, from the store alone: a
 * record written under other settings (its configDigest differs) is never mixed in; one written
 * before records carried a digest counts when its cell is in this configuration's grid.
 */
export function listTrainedCells(stores: Stores) {
  return async (experiment: string, bucket: string): Promise<TrainedCells> => {
    const store = await stores.get(bucket);
    const key = configKey(experiment);
    if (!(await store.exists(key)))
      throw badInput(`experiment ${experiment}: no ${key} in bucket ${bucket} (was it ever run?)`);
    const config = await store.getJson(key, StoredExperimentSchema);
    const digest = configDigest(config);
    const grid = new Set(
      config.datasets.flatMap((dataset) =>
        config.losses.flatMap((loss) =>
          config.modes.flatMap((mode) => config.seeds.map((seed) => cellId({ dataset, loss, mode, seed }))),
        ),
      ),
    );
    const keys = (await store.list(`${experiment}/cells/`)).filter((k) => k.endsWith('.json')).sort();
    const cells: CellRecord[] = [];
    const skipped: string[] = [];
    for (const k of keys) {
      const record = await readCellRecord(store, k);
      const ours = record.configDigest === undefined ? grid.has(record.cellId) : record.configDigest === digest;
      if (ours) cells.push(record);
      else skipped.push(k);
    }
    if (skipped.length)
      logInfo(`${experiment}: ${skipped.length} cell records of other settings left out: ${skipped.join(', ')}`);
    return { config, cells, skipped };
  };
}

/**
 * A stored cell record in today's shape, whichever version of bgbias wrote it, checked against the
 * content hash it carries (records before 2026-12 carry none) and against its schema.
 */
export async function readCellRecord(
  store: Pick<ArtifactStore, 'getJson' | 'bucket'>,
  key: string,
): Promise<CellRecord> {
  const object = `s3://${store.bucket}/${key}`;
  const raw = await store.getJson(key);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new IntegrityError(object, 'schema', 'a cell record (JSON object)', JSON.stringify(raw).slice(0, 40));
  checkContentHash(raw as Record<string, unknown>, object);
  const parsed = CellRecordSchema.safeParse(upgradeStoredCellRecord(raw));
  if (!parsed.success)
    throw new IntegrityError(
      object,
      'schema',
      'a cell record',
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    );
  return parsed.data as unknown as CellRecord;
}

/**
 * An older record's content in today's shape. Every change to CellRecord that would misread an
 * older file adds its step here, with its date (as configs/storedConfig.ts does for config.json).
 */
export function upgradeStoredCellRecord(raw: unknown): CellRecord {
  const record = structuredClone(raw) as {
    evaluation?: Record<string, unknown>;
    train?: Record<string, unknown>;
  };
  // 2026-12: the swapped-background test was called "corrupted" (the reference's word) in stored JSON.
  const evaluation = record.evaluation;
  if (evaluation && 'corrupted' in evaluation && !('swapped' in evaluation)) {
    evaluation.swapped = evaluation.corrupted;
    delete evaluation.corrupted;
  }
  if (record.train?.monitored === 'corrupted') record.train.monitored = 'swapped';
  return record as unknown as CellRecord;
}
