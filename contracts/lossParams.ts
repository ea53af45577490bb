/**
 * Each loss's hyperparameters (docs/protocol.md section 8): ONE zod schema per loss, from which the types
 * come (z.infer) and against which both the experiment configuration and the loss constructors in
 * lib/ml/losses check their input, so the two can never disagree about a limit.
 */
import { z } from 'zod';
import type { LossName } from './grid';

/**
 * ArcFace's additive angular margin is given in DEGREES (PML converts with np.radians) and must lie
 * in [0, 90). At 90 degrees or more cos(theta + m) <= 0 even for an embedding on its class centre
 * (theta = 0), so the target logit can never beat that of an orthogonal class and the loss no longer
 * rewards what it is meant to; the paper's tuned margins are 18-24 degrees.
 */
export const ARCFACE_MAX_MARGIN_DEGREES = 90;

const positive = z.number().positive();

export const ContrastiveParamsSchema = z.strictObject({
  /** Positive pairs are penalised above this distance (may be negative: cub200 uses -0.2). */
  posMargin: z.number(),
  /** Negative pairs are penalised below this distance. */
  negMargin: z.number(),
});
export const TripletParamsSchema = z.strictObject({ margin: z.number() });
export const MultiSimilarityParamsSchema = z.strictObject({ alpha: positive, beta: positive, base: z.number() });
export const ArcFaceParamsSchema = z.strictObject({
  marginDegrees: z.number().min(0).lt(ARCFACE_MAX_MARGIN_DEGREES),
  scale: positive,
});
export const NormalizedSoftmaxParamsSchema = z.strictObject({ temperature: positive });

/** The loss's own parameters, by loss name (what lib/ml/losses takes). */
export const LOSS_PARAMS_SCHEMAS = {
  contrastive: ContrastiveParamsSchema,
  triplet: TripletParamsSchema,
  multi_similarity: MultiSimilarityParamsSchema,
  arcface: ArcFaceParamsSchema,
  normalized_softmax: NormalizedSoftmaxParamsSchema,
} as const satisfies Record<LossName, z.ZodType>;

export type ContrastiveParams = z.infer<typeof ContrastiveParamsSchema>;
export type TripletParams = z.infer<typeof TripletParamsSchema>;
export type MultiSimilarityParams = z.infer<typeof MultiSimilarityParamsSchema>;
export type ArcFaceParams = z.infer<typeof ArcFaceParamsSchema>;
export type NormalizedSoftmaxParams = z.infer<typeof NormalizedSoftmaxParamsSchema>;
export type LossParamsByName = { [N in LossName]: z.infer<(typeof LOSS_PARAMS_SCHEMAS)[N]> };
/** The parameters of loss N (or of any loss, when N is left out). */
export type LossParams<N extends LossName = LossName> = LossParamsByName[N];

/**
 * One dataset's loss settings in an experiment: each loss's parameters, plus `lrLoss`, the learning
 * rate of the loss's own parameter group (the class-weight matrix), for the two losses that have one.
 */
export const LossParamsSchema = z.strictObject({
  contrastive: ContrastiveParamsSchema,
  triplet: TripletParamsSchema,
  multi_similarity: MultiSimilarityParamsSchema,
  arcface: ArcFaceParamsSchema.extend({ lrLoss: positive }),
  normalized_softmax: NormalizedSoftmaxParamsSchema.extend({ lrLoss: positive }),
});
export type LossParamsTable = z.infer<typeof LossParamsSchema>;

/**
 * `params` checked against loss `name`'s schema; otherwise an error naming the loss and every bad
 * field, e.g. `arcface: parameter marginDegrees: Too big: expected number to be <90`.
 */
export function parseLossParams<N extends LossName>(name: N, params: unknown): LossParamsByName[N] {
  const schema: z.ZodType = LOSS_PARAMS_SCHEMAS[name];
  if (!schema) throw new Error(`unknown loss ${JSON.stringify(name)}`);
  const parsed = schema.safeParse(params);
  if (parsed.success) return parsed.data as LossParamsByName[N];
  const problems = parsed.error.issues.map((i) => (i.path.length ? `parameter ${i.path.join('.')}: ` : '') + i.message);
  throw new Error(`${name}: ${problems.join('; ')}`);
}
