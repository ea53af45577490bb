/**
 * The audit itself (gpu queue): the model of the plan under every protocol on the plan's split
 * (lib/audit/runProtocols.ts), then SmoothGrad attention maps and attention scores where the model
 * has gradients. One content-addressed stage: its digest covers the model's bytes, the images (the
 * split's content-addressed shard keys), the backgrounds and every setting, so a rerun of the same
 * audit is cached whatever it is called and wherever the model file lies.
 */
import * as tf from '@tensorflow/tfjs';
import { Context } from '@temporalio/activity';
import { AUDIT_PROGRESS_SIGNAL, AUDITS_PREFIX, type AuditProgressSignal } from '../../contracts/audit';
import { toDisplayRgb } from '../../lib/audit/displayImage';
import { evalItems } from '../../lib/audit/evalItems';
import { colourInModelSpace } from '../../lib/audit/inputConvention';
import { runProtocols, METRICS, type AuditResult } from '../../lib/audit/runProtocols';
import { attentionScore } from '../../lib/ml/attribution/attentionScore';
import { smoothGradAttentionMap, type AttributionDistance } from '../../lib/ml/attribution/smoothGrad';
import { encodeTensorFile, type TensorRecord } from '../../lib/ml/checkpoint/tensorFile';
import type { EmbeddingModel } from '../../lib/ml/models/types';
import type { SplitData } from '../../lib/data/splitData';
import { Rng } from '../../lib/util/rng';
import { mean, std } from '../../lib/util/stats';
import { cachedStage, heartbeat, logInfo, type Stores } from '../context';
import type { DataCache } from '../dataCache';
import { loadAuditModel } from './loadAuditModel';
import type { AuditAttributionPlan, AuditPlan, AuditProtocolRow, AuditRunResult } from './types';

const STAGE_VERSION = 1;
export const AUDIT_MAPS_FILE = 'attention-maps.bgwt';

/** The stage's cache inputs: what determines the result, never where a file was read from. */
export function auditInputs(plan: AuditPlan) {
  const m = plan.model;
  return {
    model:
      m.kind === 'bgbias'
        ? { kind: m.kind, weightsSha256: m.sha256, experiment: m.experiment, cell: m.cellId }
        : { kind: m.kind, sha256: m.sha256, entry: m.entry, convention: m.convention },
    images: { shardKeys: plan.images.ref.shardKeys, count: plan.images.ref.count },
    backgrounds: plan.backgrounds.key,
    settings: plan.settings,
    attribution: plan.attribution,
  };
}

export function runAudit(stores: Stores, data: DataCache) {
  return async (plan: AuditPlan): Promise<AuditRunResult> => {
    const store = await stores.get(plan.bucket);
    const stage = await cachedStage(
      store,
      AUDITS_PREFIX,
      'audit',
      STAGE_VERSION,
      auditInputs(plan),
      [plan.images.datasetDigest, plan.backgrounds.digest],
      async (writer) => {
        const [split, backgrounds] = await Promise.all([
          data.split(store, plan.images.ref),
          data.backgrounds(store, plan.backgrounds.key),
        ]);
        const { model, distance } = await loadAuditModel(stores, data, plan.bucket, plan.model);
        try {
          const progress = progressSender();
          const result = await runProtocols(split, model, backgrounds, plan.settings, (p) => {
            heartbeat(p);
            progress(p);
          });
          const attribution = model.attribution.available
            ? await attribute(split, model.attribution.model, model.convention, distance, plan)
            : undefined;
          // The model by its store key (content-addressed), not the worker's cache path: this stage is shared
          // by every path the same bytes were audited from (the report names the path it was given).
          const stored = plan.model.kind === 'bgbias' ? plan.model.source : entryKey(plan.model);
          await writer.putJson(
            'audit.json',
            auditJson({ ...result, model: { ...result.model, source: stored } }, distance, attribution?.summary),
          );
          await writer.putJson('draws.json', drawsJson(result));
          await writer.putJson('per-query.json', perQueryJson(result));
          if (attribution) {
            await writer.putBuffer(AUDIT_MAPS_FILE, attribution.maps);
            await writer.putJson('attention-scores.json', attribution.scores);
          }
          const metrics: Omit<AuditRunResult, 'prefix' | 'digest' | 'cached'> = {
            numImages: result.numImages,
            numQueries: result.numQueries,
            rows: protocolRows(result),
            attention: attribution?.summary ?? null,
            ...(model.attribution.available ? {} : { attributionReason: model.attribution.reason }),
          };
          return { metrics: metrics as unknown as Record<string, unknown> };
        } finally {
          await model.dispose();
        }
      },
    );
    const m = stage.manifest.metrics as unknown as Omit<AuditRunResult, 'prefix' | 'digest' | 'cached'>;
    return { ...m, prefix: stage.prefix, digest: stage.digest, cached: stage.cached };
  };
}

function entryKey(m: Extract<AuditPlan['model'], { kind: 'tfjs' | 'onnx' }>): string {
  return m.files.find((f) => f.name === m.entry)?.key ?? m.entry;
}

/**
 * Best-effort progress signals to the audit's own run: when an image set is complete, else at most one
 * every 5 s. Each signal is a workflow task and a history event; on a busy worker (the tfjs work of the
 * audit blocks its event loop) more frequent signals only grow the history.
 */
function progressSender(): (p: AuditProgressSignal) => void {
  let workflowId: string | undefined;
  let signal: ((s: AuditProgressSignal) => Promise<void>) | undefined;
  try {
    const ctx = Context.current();
    workflowId = ctx.info.workflowExecution?.workflowId;
    if (!workflowId) return () => undefined;
    const handle = ctx.client.workflow.getHandle(workflowId);
    signal = (s) => handle.signal<[AuditProgressSignal]>(AUDIT_PROGRESS_SIGNAL, s);
  } catch {
    return () => undefined; // not in an activity
  }
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 5000 && p.done < p.total) return;
    last = now;
    signal!({ variant: p.variant, repetition: p.repetition, done: p.done, total: p.total }).catch((err: Error) =>
      logInfo(`progress signal to ${workflowId} failed: ${err.message}`),
    );
  };
}

export function protocolRows(result: AuditResult): AuditProtocolRow[] {
  return result.protocols.map((p) => {
    const row = { protocol: p.protocol, repetitions: p.repetitions.length } as AuditProtocolRow;
    for (const m of METRICS) {
      row[m] = {
        mean: p.summary[m].mean,
        std: p.summary[m].std,
        lower: p.interval[m].lower,
        upper: p.interval[m].upper,
      };
    }
    return row;
  });
}

function auditJson(result: AuditResult, distance: AttributionDistance, attention: AttentionSummary | undefined) {
  return {
    model: result.model,
    settings: result.settings,
    numImages: result.numImages,
    numQueries: result.numQueries,
    protocols: result.protocols.map((p) => ({
      protocol: p.protocol,
      sides: p.sides,
      summary: p.summary,
      interval: p.interval,
      repetitions: p.repetitions.map((r) => ({ repetition: r.repetition, metrics: r.metrics })),
    })),
    bgGap: result.bgGap,
    attribution: result.model.attribution.available
      ? { available: true, distance, attention: attention ?? null }
      : { available: false, reason: result.model.attribution.reason },
  };
}

function drawsJson(result: AuditResult) {
  return result.protocols
    .filter((p) => p.repetitions.some((r) => r.queryDraws || r.galleryDraws))
    .map((p) => ({
      protocol: p.protocol,
      repetitions: p.repetitions.map((r) => ({
        repetition: r.repetition,
        query: r.queryDraws,
        gallery: r.galleryDraws,
      })),
    }));
}

function perQueryJson(result: AuditResult) {
  return result.protocols.map((p) => ({
    protocol: p.protocol,
    query: Array.from(p.perQuery.query),
    mapAtR: Array.from(p.perQuery.mapAtR),
    precisionAt1: Array.from(p.perQuery.precisionAt1),
    rPrecision: Array.from(p.perQuery.rPrecision),
  }));
}

interface AttentionSummary {
  mean: number;
  std: number;
  n: number;
}

/**
 * SmoothGrad maps (lib/ml/attribution, the paper's method) on a seeded sample of the split, in the
 * model's own input space: the target is the distance to the embedding of an all-black image, as in
 * the paper. Attention score = share of the map's mass inside the object's soft mask.
 */
async function attribute(
  split: SplitData,
  model: EmbeddingModel,
  conv: AuditResult['model']['convention'],
  distance: AttributionDistance,
  plan: AuditPlan,
): Promise<{ summary: AttentionSummary; maps: Buffer; scores: unknown }> {
  const a: AuditAttributionPlan = plan.attribution;
  const order = Rng.fromSeed(`audit-attribution|${plan.settings.seed}`).shuffle(
    Array.from({ length: split.length }, (_, i) => i),
  );
  const chosen = order.slice(0, Math.min(a.images, order.length));
  const size = conv.size;
  const black = colourInModelSpace([0, 0, 0], conv);
  const reference = tf.tidy(() => {
    const img = new Float32Array(size * size * 3);
    for (let p = 0; p < img.length; p += 3) img.set(black, p);
    return model.embed(tf.tensor4d(img, [1, size, size, 3])).reshape([model.embeddingSize]) as tf.Tensor1D;
  });
  const rng = Rng.fromSeed(`audit-attribution-noise|${plan.settings.seed}`);
  const scores: number[] = [];
  const figure = new Map<string, TensorRecord>();
  try {
    for (const [k, index] of chosen.entries()) {
      const [item] = await evalItems(split, [index], conv);
      const image = tf.tensor3d(item.image, [size, size, 3]);
      const map = smoothGradAttentionMap(model, image, reference, distance, rng, {
        copies: a.copies,
        noiseLevel: a.noiseLevel,
      });
      const att = (await map.data()) as Float32Array;
      tf.dispose([image, map]);
      scores.push(attentionScore(att, item.mask));
      if (k < a.figureImages) {
        figure.set(`map/${k}`, { shape: [size, size], data: att });
        figure.set(`mask/${k}`, { shape: [size, size], data: item.mask });
        figure.set(`image/${k}`, { shape: [size, size, 3], data: Float32Array.from(toDisplayRgb(item.image, conv)) });
      }
      heartbeat({ phase: 'attribution', image: k + 1, of: chosen.length });
    }
  } finally {
    reference.dispose();
  }
  const finite = scores.filter(Number.isFinite);
  const summary = {
    mean: finite.length ? mean(finite) : NaN,
    std: finite.length ? std(finite, 0) : NaN,
    n: finite.length,
  };
  const shown = chosen.slice(0, a.figureImages);
  return {
    summary,
    maps: encodeTensorFile(figure, { indices: shown, ids: shown.map((i) => split.id(i)), distance }),
    scores: {
      indices: chosen,
      ids: chosen.map((i) => split.id(i)),
      scores: scores.map((s) => (Number.isFinite(s) ? s : null)),
    },
  };
}
