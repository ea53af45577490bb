import { LOSS_NAMES, PAPER_DATASETS, type LossName, type PaperDataset } from '../../contracts/grid';
import type { LossParamsByName, LossParamsTable } from '../../contracts/lossParams';

/** One loss's settings for one dataset: its parameters, the M-per-class sampler's m, and lr_loss. */
export interface LossSetting<N extends LossName> {
  params: LossParamsByName[N];
  /** Images per class in a batch (PML MPerClassSampler m, docs/protocol.md section 7). */
  m: number;
  /** Learning rate of the loss's parameter group; null for losses without parameters. */
  lrLoss: number | null;
}

export type LossSettings = { [N in LossName]: LossSetting<N> };

/**
 * docs/protocol.md section 8 verbatim (the reference repository's configs/model/loss_func/base_loss_func),
 * checked against the values the PML golden fixtures ran with (test/unit/ml/losses/createLoss.test.ts).
 * The numbers live only here; PAPER_LOSS_PARAMS below reshapes them for the experiment schema.
 */
export const PAPER_HYPERPARAMETERS: Readonly<Record<PaperDataset, LossSettings>> = {
  cars196: {
    contrastive: { params: { posMargin: 0.26523381895861114, negMargin: 0.5409405918690342 }, m: 4, lrLoss: null },
    triplet: { params: { margin: 0.11902737154413517 }, m: 4, lrLoss: null },
    multi_similarity: {
      params: { alpha: 14.358760978642266, beta: 75.83486384086837, base: 0.6615555839124118 },
      m: 4,
      lrLoss: null,
    },
    arcface: {
      params: { marginDegrees: 20.52230893710211, scale: 49.501652066223656 },
      m: 1,
      lrLoss: 7.398518179078544e-6,
    },
    normalized_softmax: { params: { temperature: 0.08863250090946041 }, m: 1, lrLoss: 0.011046164985524668 },
  },
  cub200: {
    contrastive: { params: { posMargin: -0.19999999999999726, negMargin: 0.3841191369511769 }, m: 4, lrLoss: null },
    triplet: { params: { margin: 0.09610074859813894 }, m: 4, lrLoss: null },
    multi_similarity: {
      params: { alpha: 0.010000000000000505, beta: 50.601773762279336, base: 0.5624815816186126 },
      m: 4,
      lrLoss: null,
    },
    arcface: {
      params: { marginDegrees: 23.225935497468093, scale: 99.99999999999999 },
      m: 1,
      lrLoss: 0.0051384088179694,
    },
    normalized_softmax: { params: { temperature: 0.10874714987070239 }, m: 1, lrLoss: 0.004468915155818225 },
  },
  sop: {
    contrastive: { params: { posMargin: 0.2850258234628094, negMargin: 0.5130146609636679 }, m: 4, lrLoss: null },
    triplet: { params: { margin: 0.04519248868248313 }, m: 4, lrLoss: null },
    multi_similarity: {
      params: { alpha: 8.492496310524517, beta: 57.38862611417401, base: 0.41673621630849955 },
      m: 4,
      lrLoss: null,
    },
    arcface: {
      params: { marginDegrees: 18.63185573324141, scale: 220.36285192573413 },
      m: 1,
      lrLoss: 0.0020186601854510562,
    },
    normalized_softmax: { params: { temperature: 0.06306243924788482 }, m: 1, lrLoss: 0.0005468337161961759 },
  },
};

/** PAPER_HYPERPARAMETERS in the experiment schema's shape (lrLoss inside the loss's parameters). */
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

/** Images per class in a batch (PML MPerClassSampler m), docs/protocol.md section 7: a property of the loss. */
export const SAMPLER_M: Record<LossName, number> = Object.fromEntries(
  LOSS_NAMES.map((name) => [name, PAPER_HYPERPARAMETERS.cars196[name].m]),
) as Record<LossName, number>;

/** RMSprop as the reference runs it (docs/protocol.md section 7): one lr for the model, 1e-6. */
export const PAPER_OPTIMIZER = { lr: 1e-6, weightDecay: 1e-4, momentum: 0.9, alpha: 0.99, eps: 1e-8 } as const;
