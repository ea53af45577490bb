/**
 * Settings of an audit's protocols (zod, so a configuration schema can embed them and bad values are
 * named). lib/ never reads configs: callers pass these values in.
 */
import { z } from 'zod';
import { PROTOCOLS } from './protocols';

/** ImageNet's mean colour (RGB, 0..255): the default flat fill of only-fg. */
export const IMAGENET_MEAN_RGB: [number, number, number] = [123.675, 116.28, 103.53];

const rgb = z.tuple([z.number().min(0).max(255), z.number().min(0).max(255), z.number().min(0).max(255)]);
const range = z
  .tuple([z.number().positive(), z.number().positive()])
  .refine(([a, b]) => a <= b, 'expected [min, max] with min <= max');

export const AuditSettingsSchema = z.strictObject({
  protocols: z
    .array(z.enum(PROTOCOLS))
    .min(1)
    .default([...PROTOCOLS]),
  /** Repetitions of the protocols that draw (swapped*, mixed-*), each with fresh draws. */
  repetitions: z.number().int().positive().default(5),
  /** Seed of every draw (auditStreams.ts). */
  seed: z.union([z.number().int(), z.string().min(1)]).default(0),
  /** The split's name in the stream keys. */
  split: z.string().min(1).default('test'),
  /** only-fg, only-bg, mixed-*: transform both sides (default) or the queries only (clean gallery). */
  applyTo: z.enum(['both', 'queries']).default('both'),
  /**
   * only-fg's flat colour, RGB on the 0..255 scale. Default ImageNet's mean colour: it maps to 0 in a
   * mean-normalised input (no signal), where black, ImageNet-9's choice, is an extreme input value.
   */
  flatFill: rgb.default(IMAGENET_MEAN_RGB),
  /** How the object's hole is filled in only-bg and in the mixed protocols' donors (holeFill.ts). */
  hole: z.enum(['tile', 'flat']).default('tile'),
  /** RandomResizedCrop ranges of the swapped backgrounds (the experiment's transform.scale/ratio). */
  backgroundCrop: z.strictObject({ scale: range.default([0.16, 1]), ratio: range.default([0.75, 1.33]) }).default({
    scale: [0.16, 1],
    ratio: [0.75, 1.33],
  }),
  batchSize: z.number().int().positive().default(32),
  bootstrap: z
    .strictObject({
      resamples: z.number().int().positive().default(1000),
      seed: z.union([z.number().int(), z.string().min(1)]).default(0),
      confidence: z.number().gt(0).lt(1).default(0.95),
      /** Return the B x n resample indices with the result. */
      recordIndices: z.boolean().default(false),
    })
    .default({ resamples: 1000, seed: 0, confidence: 0.95, recordIndices: false }),
  /** Return every protocol's query and gallery embeddings (tests, small audits). */
  keepEmbeddings: z.boolean().default(false),
});

export type AuditSettingsInput = z.input<typeof AuditSettingsSchema>;
export type AuditSettings = z.output<typeof AuditSettingsSchema>;

export function parseAuditSettings(value: unknown, source = 'audit settings'): AuditSettings {
  const parsed = AuditSettingsSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(settings)'}: ${i.message}`);
    throw new Error(`${source}: invalid:\n  - ${issues.join('\n  - ')}`);
  }
  return parsed.data;
}
