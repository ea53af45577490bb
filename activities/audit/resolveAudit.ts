/**
 * The first step of an audit: the input checked and turned into a plan of store keys. A tfjs or
 * ONNX model is read from the cpu worker's disk and imported into the store under the digest of its
 * bytes (`audits/models/<sha256>/...`), so the audit activity on any machine reads it from there.
 * Every bad field is named in one non-retryable error.
 */
import { StoredExperimentSchema } from '../../configs/storedConfig';
import type { AuditModelInput } from '../../contracts/audit';
import { AUDITS_PREFIX } from '../../contracts/audit';
import { parseInputConvention, readInputConvention, sidecarPath } from '../../lib/audit/inputConvention';
import { modelFiles } from '../../lib/audit/models/modelFiles';
import { parseAuditSettings } from '../../lib/audit/settings';
import type { ArtifactStore } from '../../lib/store/artifactStore';
import { sha256Hex } from '../../lib/store/digest';
import { cellKey, readCellRecord } from '../cells';
import { badInput, logInfo, type Stores } from '../context';
import type { CellRecord } from '../types';
import type { AuditPlan, ResolvedAuditModel } from './types';

const SPLITS = ['train', 'val', 'test'] as const;

export function resolveAudit(stores: Stores) {
  return async (input: AuditModelInput): Promise<AuditPlan> => {
    if (!input || typeof input !== 'object' || !input.model || typeof input.model !== 'object') {
      throw badInput('auditModel input: "model" is required ({kind: "bgbias"|"tfjs"|"onnx", ...})');
    }
    const bucket = input.bucket ?? 'bgbias';
    const store = await stores.get(bucket);
    const fail = (message: string) => badInput(`auditModel input: ${message}`);
    const wrap = async <T>(what: string, f: () => Promise<T> | T): Promise<T> => {
      try {
        return await f();
      } catch (err) {
        const message = (err as Error).message;
        // lib's parsers already name their source ("settings: invalid: ..."): no second prefix
        throw fail(message.startsWith(`${what}:`) ? message : `${what}: ${message}`);
      }
    };

    let model: ResolvedAuditModel;
    let ownRecord: CellRecord | undefined;
    const spec = input.model;
    if (spec.kind === 'bgbias') {
      if (!spec.experiment || !spec.cell) throw fail('model: a bgbias model needs "experiment" and "cell"');
      if (input.convention) throw fail('convention: a bgbias model has its own (the experiment transform); drop it');
      const key = cellKey(spec.experiment, spec.cell);
      if (!(await store.exists(key))) {
        const known = (await store.list(`${spec.experiment}/cells/`)).map((k) =>
          k.slice(`${spec.experiment}/cells/`.length).replace(/\.json$/, ''),
        );
        throw fail(
          `model: experiment ${spec.experiment} has no trained cell ${spec.cell} in bucket ${bucket} ` +
            `(trained: ${known.length ? known.join(', ') : 'none'})`,
        );
      }
      ownRecord = await readCellRecord(store, key);
      const weights = await store.getBuffer(ownRecord.train.bestWeightsKey);
      model = {
        kind: 'bgbias',
        source: `${spec.experiment}/${spec.cell}`,
        experiment: spec.experiment,
        cellId: spec.cell,
        weightsKey: ownRecord.train.bestWeightsKey,
        sha256: sha256Hex(weights),
      };
    } else if (spec.kind === 'tfjs' || spec.kind === 'onnx') {
      if (typeof spec.path !== 'string' || spec.path.length === 0)
        throw fail(`model: a ${spec.kind} model needs "path"`);
      const files = await wrap('model', () => modelFiles(spec.kind, spec.path));
      const convention = input.convention
        ? await wrap('convention', () => parseInputConvention(input.convention, 'convention'))
        : await wrap('convention', () => readInputConvention(sidecarPath(spec.path)));
      const prefix = `${AUDITS_PREFIX}/models/${files.sha256}`;
      const stored = [];
      for (const f of files.files) {
        const key = `${prefix}/${f.name}`;
        const there = await store.stat(key);
        if (!there || there.size !== f.bytes) await store.putFile(key, f.path);
        stored.push({ name: f.name, key, sha256: f.sha256, bytes: f.bytes });
      }
      logInfo(`audit model ${spec.path}: ${files.files.length} files in ${prefix}`);
      model = {
        kind: spec.kind,
        source: spec.path,
        entry: files.entry,
        files: stored,
        sha256: files.sha256,
        convention,
      };
    } else {
      throw fail(`model.kind: ${JSON.stringify((spec as { kind?: unknown }).kind)}; expected bgbias, tfjs or onnx`);
    }

    const imagesSpec =
      input.images ??
      (ownRecord ? { experiment: model.source.split('/')[0], dataset: ownRecord.cell.dataset } : undefined);
    if (!imagesSpec) throw fail('images: required for a tfjs or ONNX model ({experiment, dataset, split})');
    const split = imagesSpec.split ?? 'test';
    if (!SPLITS.includes(split)) throw fail(`images.split: ${JSON.stringify(split)}; expected train, val or test`);
    const record =
      ownRecord &&
      ownRecord.cell.dataset === imagesSpec.dataset &&
      model.kind === 'bgbias' &&
      model.experiment === imagesSpec.experiment
        ? ownRecord
        : await recordWithDataset(store, bucket, imagesSpec.experiment, imagesSpec.dataset);

    const settings = await wrap('settings', () => parseAuditSettings({ split, ...(input.settings ?? {}) }, 'settings'));
    const a = input.attribution ?? {};
    const attribution = {
      images: a.images ?? 16,
      copies: a.copies ?? 10,
      noiseLevel: a.noiseLevel ?? 0.15,
      figureImages: a.figureImages ?? 4,
    };
    for (const [k, v] of Object.entries(attribution)) {
      const ok = k === 'noiseLevel' ? v > 0 && v < 1 : Number.isInteger(v) && v >= (k === 'copies' ? 1 : 0);
      if (!ok) throw fail(`attribution.${k}: ${v} is not valid`);
    }
    attribution.figureImages = Math.min(attribution.figureImages, attribution.images);
    const heartbeatSeconds = input.heartbeatSeconds ?? 10;
    if (!(heartbeatSeconds > 0)) throw fail(`heartbeatSeconds: ${heartbeatSeconds}; expected a positive number`);
    return {
      bucket,
      model,
      images: {
        experiment: imagesSpec.experiment,
        dataset: imagesSpec.dataset,
        split,
        ref: record.dataset.splits[split],
        datasetDigest: record.dataset.digest,
      },
      backgrounds: {
        key: record.backgrounds.pools.test.key,
        count: record.backgrounds.pools.test.count,
        digest: record.backgrounds.digest,
      },
      settings,
      attribution,
      heartbeatSeconds,
    };
  };
}

/** Any trained cell of the experiment on that dataset: its record holds the prepared dataset and backgrounds. */
async function recordWithDataset(
  store: ArtifactStore,
  bucket: string,
  experiment: string,
  dataset: string,
): Promise<CellRecord> {
  const configKey = `${experiment}/config.json`;
  if (!(await store.exists(configKey)))
    throw badInput(`auditModel input: images.experiment: no ${configKey} in bucket ${bucket} (was it ever run?)`);
  await store.getJson(configKey, StoredExperimentSchema);
  const keys = (await store.list(`${experiment}/cells/`)).filter((k) => k.endsWith('.json')).sort();
  const seen = new Set<string>();
  for (const key of keys) {
    const record = await readCellRecord(store, key);
    if (record.cell.dataset === dataset) return record;
    seen.add(record.cell.dataset);
  }
  throw badInput(
    `auditModel input: images.dataset: experiment ${experiment} holds no prepared ${dataset} ` +
      `(its datasets: ${seen.size ? [...seen].join(', ') : 'none'})`,
  );
}
