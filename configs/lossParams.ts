import { z } from 'zod';

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

/** PROTOCOL.md section 8, verbatim. */
export const PAPER_LOSS_PARAMS: Record<'cars196' | 'cub200' | 'sop', LossParamsTable> = {
  cars196: {
    contrastive: { posMargin: 0.26523381895861114, negMargin: 0.5409405918690342 },
    triplet: { margin: 0.11902737154413517 },
    multi_similarity: { alpha: 14.358760978642266, beta: 75.83486384086837, base: 0.6615555839124118 },
    arcface: { marginDegrees: 20.52230893710211, scale: 49.501652066223656, lrLoss: 7.398518179078544e-6 },
    normalized_softmax: { temperature: 0.08863250090946041, lrLoss: 0.011046164985524668 },
  },
  cub200: {
    contrastive: { posMargin: -0.19999999999999726, negMargin: 0.3841191369511769 },
    triplet: { margin: 0.09610074859813894 },
    multi_similarity: { alpha: 0.010000000000000505, beta: 50.601773762279336, base: 0.5624815816186126 },
    arcface: { marginDegrees: 23.225935497468093, scale: 99.99999999999999, lrLoss: 0.0051384088179694 },
    normalized_softmax: { temperature: 0.10874714987070239, lrLoss: 0.004468915155818225 },
  },
  sop: {
    contrastive: { posMargin: 0.2850258234628094, negMargin: 0.5130146609636679 },
    triplet: { margin: 0.04519248868248313 },
    multi_similarity: { alpha: 8.492496310524517, beta: 57.38862611417401, base: 0.41673621630849955 },
    arcface: { marginDegrees: 18.63185573324141, scale: 220.36285192573413, lrLoss: 0.0020186601854510562 },
    normalized_softmax: { temperature: 0.06306243924788482, lrLoss: 0.0005468337161961759 },
  },
};

/** Images per class in a batch (PML MPerClassSampler m), PROTOCOL.md section 7. */
export const SAMPLER_M: Record<keyof LossParamsTable, number> = {
  contrastive: 4,
  triplet: 4,
  multi_similarity: 4,
  arcface: 1,
  normalized_softmax: 1,
};
