/**
 * The final report of a run (report.json): every number the tables, the HTML page and the smoke
 * check read. Metric values are fractions (0..1); only the renderers scale MAP@R to x100.
 */
import { z } from 'zod';
import { CostEstimateSchema } from './costEstimate';

const fraction = z.number().min(0).max(1);

/** Clean test metrics: one deterministic evaluation. */
export const CleanMetricsSchema = z.strictObject({ mapAtR: fraction, precisionAt1: fraction, rPrecision: fraction });

/** A metric over the swapped-background repetitions: mean, sample std (ddof 1) and the values themselves. */
export const RepeatedMetricSchema = z.strictObject({
  mean: fraction,
  std: z.number().min(0),
  reps: z.array(fraction).min(1),
});

export const SwappedMetricsSchema = z.strictObject({
  mapAtR: RepeatedMetricSchema,
  precisionAt1: RepeatedMetricSchema,
  rPrecision: RepeatedMetricSchema,
});

/** Attention score over the test images: mean and population std (ddof 0); scores lie in [-inf, 1]. */
export const AttentionSummarySchema = z.strictObject({
  mean: z.number().max(1),
  std: z.number().min(0),
  /** Images with a defined score: the mean's n. */
  n: z.number().int().min(1),
  /** Images without a defined score (empty or full mask), left out of n and the mean, and named here
   *  (lib/ml/attribution/scoreSummary.ts). Absent in reports written before 2026-12. */
  undefinedScores: z.strictObject({ n: z.number().int().min(0), ids: z.array(z.string()) }).optional(),
});

export const ReportCellSchema = z.strictObject({
  dataset: z.string().min(1),
  loss: z.string().min(1),
  mode: z.enum(['base', 'bgaugment']),
  seed: z.number().int(),
  bestEpoch: z.number().int().min(0),
  epochsTrained: z.number().int().min(0),
  clean: CleanMetricsSchema,
  swapped: SwappedMetricsSchema,
  attention: AttentionSummarySchema.optional(),
});

/** Distribution summary (std with ddof 0, quartiles by numpy's linear interpolation). */
export const SummarySchema = z.strictObject({
  mean: z.number(),
  std: z.number().min(0),
  median: z.number(),
  q1: z.number(),
  q3: z.number(),
  min: z.number(),
  max: z.number(),
});

export const MaskQualitySchema = z.strictObject({
  dataset: z.string().min(1),
  n: z.number().int().min(1),
  iou: SummarySchema,
  overlap: SummarySchema,
});

/**
 * The paper's effect in two numbers per mode. `ratio` = baseMeanDrop / bgaugmentMeanDrop, null when
 * BGAugment did not drop at all (drop <= 0: the ratio is unbounded, and JSON has no Infinity).
 * Mean attentions are null when no cell of that mode has an attention score.
 */
export const EffectSchema = z.strictObject({
  baseMeanDrop: z.number(),
  bgaugmentMeanDrop: z.number(),
  ratio: z.number().nullable(),
  baseMeanAttention: z.number().nullable(),
  bgaugmentMeanAttention: z.number().nullable(),
});

export const BackendSchema = z.strictObject({
  name: z.string().min(1),
  device: z.string(),
  threads: z.number().int().min(0),
  version: z.string(),
});

export const ReportSchema = z.strictObject({
  experiment: z.string().min(1),
  preset: z.string().min(1),
  createdAt: z.string().min(1),
  backend: BackendSchema,
  /** Seconds per stage (e.g. { masks: 12.3, train: 512 }). */
  timings: z.record(z.string(), z.number().min(0)),
  cells: z.array(ReportCellSchema),
  maskQuality: z.array(MaskQualitySchema).optional(),
  effect: EffectSchema.optional(),
  /** A rehearsal's estimate of its full run (lib/report/costEstimate.ts). */
  costEstimate: CostEstimateSchema.optional(),
});

export type Report = z.infer<typeof ReportSchema>;
export type ReportCell = z.infer<typeof ReportCellSchema>;
export type Summary = z.infer<typeof SummarySchema>;
export type MaskQuality = z.infer<typeof MaskQualitySchema>;
export type Effect = z.infer<typeof EffectSchema>;

/** Parses an unknown value as a report; the error lists each bad field by its path. */
export function parseReport(value: unknown, source = 'report'): Report {
  const r = ReportSchema.safeParse(value);
  if (!r.success) {
    const first = (value as { cells?: Array<Record<string, unknown>> } | null)?.cells?.[0];
    if (first && 'corrupted' in first && !('swapped' in first))
      throw new Error(
        `invalid report: ${source} was written by an older bgbias (cells[].corrupted, now cells[].swapped); ` +
          'rerun the report (bgbias analyze)',
      );
    const issues = r.error.issues.map((i) => `${[source, ...i.path].join('.')}: ${i.message}`);
    throw new Error(`invalid report: ${issues.join('; ')}`);
  }
  return r.data;
}
