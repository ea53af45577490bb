import { z } from 'zod';
import {
  PAPER_DATASETS,
  PAPER_HYPERPARAMETERS,
  type LossSettings,
  type PaperDataset,
} from '../lib/ml/losses/hyperparameters';
import { LOSS_NAMES } from '../lib/ml/losses/types';

/**
 * Per-loss hyperparameters (PROTOCOL.md section 8, the MLRC-tuned values). `lrLoss` is the learning
 * rate of the loss's own parameter group (class-weight matrix); losses without parameters have none.
 */
export const ContrastiveParams = z.strictObject({ posMargin: z.number(), negMargin: z.number() });
export const TripletParams = z.strictObject({ margin: z.number() });
export const MultiSimilarityParams = z.strictObject({
  alpha: z.number().positive(),
  beta: z.number().positive(),
  base: z.number(),
});
export const ArcFaceParams = z.strictObject({
  marginDegrees: z.number().min(0).max(90),
  scale: z.number().positive(),
  lrLoss: z.number().positive(),
});
export const NormalizedSoftmaxParams = z.strictObject({
  temperature: z.number().positive(),
  lrLoss: z.number().positive(),
});

export const LossParamsSchema = z.strictObject({
  contrastive: ContrastiveParams,
  triplet: TripletParams,
  multi_similarity: MultiSimilarityParams,
  arcface: ArcFaceParams,
  normalized_softmax: NormalizedSoftmaxParams,
});
export type LossParamsTable = z.infer<typeof LossParamsSchema>;

/**
 * PROTOCOL.md section 8 in the experiment schema's shape (lrLoss inside the loss's parameters).
 * The numbers themselves live once, in lib/ml/losses/hyperparameters.ts (checked against the values
 * the PML golden fixtures ran with).
 */
export const PAPER_LOSS_PARAMS: Record<PaperDataset, LossParamsTable> = Object.fromEntries(
  PAPER_DATASETS.map((dataset) => [dataset, lossParamsOf(PAPER_HYPERPARAMETERS[dataset])]),
) as Record<PaperDataset, LossParamsTable>;

function lossParamsOf(settings: LossSettings): LossParamsTable {
  const withLr = <P extends object>(s: { params: P; lrLoss: number | null }) =>
    s.lrLoss === null ? { ...s.params } : { ...s.params, lrLoss: s.lrLoss };
  return {
    contrastive: withLr(settings.contrastive),
    triplet: withLr(settings.triplet),
    multi_similarity: withLr(settings.multi_similarity),
    arcface: withLr(settings.arcface) as LossParamsTable['arcface'],
    normalized_softmax: withLr(settings.normalized_softmax) as LossParamsTable['normalized_softmax'],
  };
}

/** Images per class in a batch (PML MPerClassSampler m), PROTOCOL.md section 7: a property of the loss. */
export const SAMPLER_M: Record<keyof LossParamsTable, number> = Object.fromEntries(
  LOSS_NAMES.map((name) => [name, PAPER_HYPERPARAMETERS.cars196[name].m]),
) as Record<keyof LossParamsTable, number>;
