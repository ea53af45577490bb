import { LOSS_NAMES, type LossName } from '../../../contracts/grid';
import type { LossParamsByName } from '../../../contracts/lossParams';
import type { Rng } from '../../util/rng';
import { ArcFaceLoss } from './arcface';
import { ContrastiveLoss } from './contrastive';
import { MultiSimilarityLoss } from './multiSimilarity';
import { NormalizedSoftmaxLoss } from './normalizedSoftmax';
import { TripletLoss } from './triplet';
import type { MetricLoss } from './types';

export { ArcFaceLoss, ContrastiveLoss, MultiSimilarityLoss, NormalizedSoftmaxLoss, TripletLoss };
export type { LossDistance, MetricLoss } from './types';

export interface LossContext {
  embeddingSize: number;
  /** Training classes: the width of the class-weight matrix (unused by pair/triplet losses). */
  numClasses: number;
  /** Draws the class-weight initialisation (normal(0,1)). */
  rng: Rng;
  /** Optional tfjs variable name for the class-weight matrix (stable names help checkpoints). */
  weightsName?: string;
}

/**
 * The loss `name` with PML 1.x semantics. Unknown names and parameters outside their schema
 * (contracts/lossParams.ts) are errors that say which.
 */
export function createLoss<N extends LossName>(name: N, params: LossParamsByName[N], ctx: LossContext): MetricLoss {
  switch (name) {
    case 'contrastive':
      return new ContrastiveLoss(params as LossParamsByName['contrastive']);
    case 'triplet':
      return new TripletLoss(params as LossParamsByName['triplet']);
    case 'multi_similarity':
      return new MultiSimilarityLoss(params as LossParamsByName['multi_similarity']);
    case 'arcface':
      return new ArcFaceLoss(params as LossParamsByName['arcface'], ctx);
    case 'normalized_softmax':
      return new NormalizedSoftmaxLoss(params as LossParamsByName['normalized_softmax'], ctx);
    default:
      throw new Error(`unknown loss ${JSON.stringify(name)}: expected one of ${LOSS_NAMES.join(', ')}`);
  }
}
