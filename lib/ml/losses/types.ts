import type * as tf from '@tensorflow/tfjs';
import type { LossName } from '../../../contracts/grid';

/** The distance a loss optimises; attribution (docs/protocol.md section 10) uses the loss's own distance. */
export type LossDistance = 'euclidean' | 'cosine';

/** A deep-metric-learning loss with PML 1.x semantics. */
export interface MetricLoss {
  readonly name: LossName;
  readonly distance: LossDistance;
  /** Scalar loss for unit embeddings [B,D] and integer labels [B] (int32). */
  compute(embeddings: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar;
  /** The loss's own parameter group (class-weight matrix for arcface / normalized_softmax), else []. */
  trainableVariables(): tf.Variable[];
  dispose(): void;
}
