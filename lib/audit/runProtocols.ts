/**
 * Runs the protocols of an audit on a model: renders every image under each protocol's variants in
 * batches (only embeddings are kept, so a large split never sits in memory as pixels), computes
 * MAP@R, P@1 and R-Precision per repetition, and adds the uncertainty:
 * - summary: mean and sample std over repetitions (drawn protocols; deterministic ones run once);
 * - interval: percentile bootstrap over queries of each query's mean over repetitions (whose mean is
 *   the summary mean), with ONE set of resample indices for every metric and protocol, so intervals
 *   of differences (BG-Gap) are paired over the same resampled queries. Every protocol has the same
 *   non-lone queries (the self-exclusion rule makes R the same), so the indices fit all of them.
 * Embeddings of a variant and repetition are computed once and shared: the swapped set of repetition
 * r serves swapped, swapped-query and swapped-gallery; the clean set serves every clean side.
 */
import type { RgbImage } from '../image/types';
import { queryGalleryMetrics } from '../ml/metrics/queryGalleryRetrieval';
import { retrievalMetricsPerQueryAsync, type PerQueryMetrics, type RetrievalMetrics } from '../ml/metrics/retrieval';
import { bootstrapIndices, percentileInterval, type Interval } from '../util/bootstrap';
import { repetitionSummary, type MeanStd } from '../util/intervals';
import { Rng } from '../util/rng';
import { ClassIndex } from './donors';
import { evalItems, type AuditItemSource } from './evalItems';
import { colourInModelSpace } from './inputConvention';
import { modelRecord, type AuditModel, type AuditModelRecord } from './models/auditModel';
import {
  chooseDonor,
  isDrawn,
  protocolSides,
  renderVariant,
  DRAWN_VARIANTS,
  type ImageVariant,
  type ItemDraw,
  type ProtocolName,
  type ProtocolSides,
  type RenderContext,
} from './protocols';
import type { AuditSettings } from './settings';

export const METRICS = ['mapAtR', 'precisionAt1', 'rPrecision'] as const;
export type MetricName = (typeof METRICS)[number];
export type PerMetric<T> = Record<MetricName, T>;

export interface ProtocolRepetition {
  repetition: number;
  metrics: RetrievalMetrics;
  /** The draws of each side's images (null for an undrawn side); a shared set records under query. */
  queryDraws: ItemDraw[] | null;
  galleryDraws: ItemDraw[] | null;
  embeddings?: { query: Float32Array; gallery: Float32Array };
}

export interface ProtocolResult {
  protocol: ProtocolName;
  sides: ProtocolSides;
  repetitions: ProtocolRepetition[];
  /** Over repetitions (std null with one repetition). */
  summary: PerMetric<MeanStd>;
  /** Bootstrap over queries of the per-query mean over repetitions. */
  interval: PerMetric<Interval>;
  /** Each non-lone query's value, averaged over repetitions. */
  perQuery: PerQueryMetrics;
}

export interface AuditResult {
  model: AuditModelRecord;
  settings: AuditSettings;
  numImages: number;
  numQueries: number;
  protocols: ProtocolResult[];
  /** mixed-same - mixed-rand: difference of the summary means, bootstrap interval of per-query differences. */
  bgGap: { summary: PerMetric<number>; interval: PerMetric<Interval> } | null;
  /** B x numQueries indices into the non-lone queries (settings.bootstrap.recordIndices). */
  bootstrapIndices?: Int32Array;
}

export interface AuditProgress {
  variant: ImageVariant;
  repetition: number;
  done: number;
  total: number;
}

interface EmbeddedSet {
  embeddings: Float32Array;
  draws: ItemDraw[] | null;
}

export async function runProtocols(
  source: AuditItemSource,
  model: AuditModel,
  backgrounds: readonly RgbImage[],
  settings: AuditSettings,
  onProgress?: (p: AuditProgress) => void,
): Promise<AuditResult> {
  const n = source.length;
  if (source.labels.length !== n) throw new Error(`audit: source has ${n} items but ${source.labels.length} labels`);
  const conv = model.convention;
  const classes = new ClassIndex(source.labels);
  const identities = Int32Array.from({ length: n }, (_, i) => i);
  const base: Omit<RenderContext, 'repetition'> = {
    conv,
    backgrounds,
    ranges: settings.backgroundCrop,
    flat: colourInModelSpace(settings.flatFill, conv),
    hole: settings.hole,
    classes,
    seed: settings.seed,
    split: settings.split,
  };

  const cache = new Map<string, EmbeddedSet>();
  const embedded = async (variant: ImageVariant, repetition: number): Promise<EmbeddedSet> => {
    const rep = DRAWN_VARIANTS.includes(variant) ? repetition : 0;
    const key = `${variant}#${rep}`;
    let set = cache.get(key);
    if (!set) {
      set = await embedVariant(source, model, variant, { ...base, repetition: rep }, settings.batchSize, (done) =>
        onProgress?.({ variant, repetition: rep, done, total: n }),
      );
      cache.set(key, set);
    }
    return set;
  };

  const scored: Array<Omit<ProtocolResult, 'interval'>> = [];
  for (const protocol of settings.protocols) {
    const sides = protocolSides(protocol, settings.applyTo);
    const reps = isDrawn(sides) ? settings.repetitions : 1;
    const repetitions: ProtocolRepetition[] = [];
    const perQueryReps: PerQueryMetrics[] = [];
    for (let r = 0; r < reps; r++) {
      const q = await embedded(sides.query, r);
      const g = sides.shared ? q : await embedded(sides.gallery, r);
      const dim = model.embeddingSize;
      const score = sides.shared
        ? await retrievalMetricsPerQueryAsync(q.embeddings, dim, source.labels)
        : queryGalleryMetrics(
            { embeddings: q.embeddings, labels: source.labels, identities },
            { embeddings: g.embeddings, labels: source.labels, identities },
            dim,
          );
      perQueryReps.push(score.perQuery);
      repetitions.push({
        repetition: r,
        metrics: score.metrics,
        queryDraws: q.draws,
        galleryDraws: sides.shared ? null : g.draws,
        ...(settings.keepEmbeddings ? { embeddings: { query: q.embeddings, gallery: g.embeddings } } : {}),
      });
    }
    scored.push({
      protocol,
      sides,
      repetitions,
      summary: perMetric((m) => repetitionSummary(repetitions.map((x) => x.metrics[m]))),
      perQuery: meanOverRepetitions(perQueryReps),
    });
  }

  const numQueries = scored[0].perQuery.query.length;
  for (const r of scored) {
    if (r.perQuery.query.length !== numQueries) {
      throw new Error(`audit: protocol ${r.protocol} has ${r.perQuery.query.length} queries, expected ${numQueries}`);
    }
  }
  const b = settings.bootstrap;
  const indices =
    numQueries > 0 ? bootstrapIndices(numQueries, b.resamples, Rng.fromSeed(`audit-bootstrap|${b.seed}`)) : undefined;
  const interval = (values: Float64Array): Interval =>
    indices
      ? percentileInterval(values, indices, b.resamples, b.confidence)
      : { estimate: 0, lower: 0, upper: 0, confidence: b.confidence };
  const results: ProtocolResult[] = scored.map((r) => ({ ...r, interval: perMetric((m) => interval(r.perQuery[m])) }));

  const same = results.find((r) => r.protocol === 'mixed-same');
  const rand = results.find((r) => r.protocol === 'mixed-rand');
  const bgGap =
    same && rand
      ? {
          summary: perMetric((m) => same.summary[m].mean - rand.summary[m].mean),
          interval: perMetric((m) => interval(same.perQuery[m].map((v, i) => v - rand.perQuery[m][i]))),
        }
      : null;

  return {
    model: modelRecord(model),
    settings,
    numImages: n,
    numQueries,
    protocols: results,
    bgGap,
    ...(b.recordIndices && indices ? { bootstrapIndices: indices } : {}),
  };
}

function perMetric<T>(f: (m: MetricName) => T): PerMetric<T> {
  return { mapAtR: f('mapAtR'), precisionAt1: f('precisionAt1'), rPrecision: f('rPrecision') };
}

/** Element-wise mean over repetitions (all have the same queries), summed in repetition order. */
function meanOverRepetitions(reps: PerQueryMetrics[]): PerQueryMetrics {
  const first = reps[0];
  const out: PerQueryMetrics = {
    query: first.query.slice(),
    mapAtR: new Float64Array(first.query.length),
    precisionAt1: new Float64Array(first.query.length),
    rPrecision: new Float64Array(first.query.length),
  };
  for (const m of METRICS) {
    for (const rep of reps) {
      if (rep.query.length !== first.query.length) throw new Error('audit: repetitions have different queries');
      for (let i = 0; i < rep[m].length; i++) out[m][i] += rep[m][i];
    }
    for (let i = 0; i < out[m].length; i++) out[m][i] /= reps.length;
  }
  return out;
}

/** Renders and embeds every image of the source under one variant, batch by batch. */
async function embedVariant(
  source: AuditItemSource,
  model: AuditModel,
  variant: ImageVariant,
  ctx: RenderContext,
  batchSize: number,
  onBatch: (done: number) => void,
): Promise<EmbeddedSet> {
  const n = source.length;
  const dim = model.embeddingSize;
  const px = ctx.conv.size * ctx.conv.size * 3;
  const embeddings = new Float32Array(n * dim);
  const drawn = DRAWN_VARIANTS.includes(variant);
  const draws: ItemDraw[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const indices = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const items = await evalItems(source, indices, ctx.conv);
    const donorOf = indices.map((i) => chooseDonor(variant, i, ctx));
    const donorIndices = [...new Set(donorOf.filter((d): d is number => d !== undefined))];
    const donors = new Map((await evalItems(source, donorIndices, ctx.conv)).map((d) => [d.index, d]));
    const batch = new Float32Array(indices.length * px);
    items.forEach((item, k) => {
      const donor = donorOf[k] === undefined ? undefined : donors.get(donorOf[k]!);
      const r = renderVariant(variant, item, ctx, donor);
      if (r.image.length !== px) throw new Error(`audit: ${variant} image ${item.index} has ${r.image.length} values`);
      batch.set(r.image, k * px);
      if (drawn) draws.push(r.draw);
    });
    const out = await model.embed(batch, indices.length);
    if (out.length !== indices.length * dim) {
      throw new Error(
        `${model.source}: returned ${out.length} values for ${indices.length} images x ${dim} dimensions`,
      );
    }
    embeddings.set(out, start * dim);
    onBatch(start + indices.length);
  }
  return { embeddings, draws: drawn ? draws : null };
}
