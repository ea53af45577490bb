/**
 * report.json of an audit (zod: the report page and the tests read it back through this schema).
 * Metric values are fractions in [0, 1]; the tables show them x100 like the paper's.
 */
import { z } from 'zod';

const nullableNumber = z.number().nullable();
const metricRow = z.strictObject({ mean: z.number(), std: nullableNumber, lower: z.number(), upper: z.number() });

export const AuditReportRowSchema = z.strictObject({
  protocol: z.string(),
  repetitions: z.number().int().positive(),
  mapAtR: metricRow,
  precisionAt1: metricRow,
  rPrecision: metricRow,
});

const gapMetric = z.strictObject({ estimate: z.number(), lower: z.number(), upper: z.number() });

export const AuditReportSchema = z.strictObject({
  kind: z.literal('audit'),
  model: z.strictObject({
    kind: z.string(),
    source: z.string(),
    sha256: z.string(),
    embeddingSize: z.number().int().positive(),
    /** The input convention exactly as the audit used it (defaults filled in). */
    convention: z.record(z.string(), z.unknown()),
  }),
  images: z.strictObject({
    experiment: z.string(),
    dataset: z.string(),
    split: z.string(),
    numImages: z.number().int().nonnegative(),
    numQueries: z.number().int().nonnegative(),
  }),
  settings: z.record(z.string(), z.unknown()),
  confidence: z.number(),
  rows: z.array(AuditReportRowSchema),
  bgGap: z.strictObject({ mapAtR: gapMetric, precisionAt1: gapMetric, rPrecision: gapMetric }).nullable(),
  attribution: z.union([
    z.strictObject({
      available: z.literal(true),
      distance: z.string(),
      /** Mean, population std and count of the finite attention scores (null mean: none finite). */
      attention: z.strictObject({ mean: nullableNumber, std: nullableNumber, n: z.number().int() }),
      figure: z.string().nullable(),
    }),
    z.strictObject({ available: z.literal(false), reason: z.string() }),
  ]),
  auditDigest: z.string(),
});

export type AuditReport = z.infer<typeof AuditReportSchema>;
export type AuditReportRow = z.infer<typeof AuditReportRowSchema>;

export function parseAuditReport(value: unknown, source = 'audit report'): AuditReport {
  const parsed = AuditReportSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(report)'}: ${i.message}`);
    throw new Error(`${source}: invalid:\n  - ${issues.join('\n  - ')}`);
  }
  return parsed.data;
}
