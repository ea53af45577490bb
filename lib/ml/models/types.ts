import type * as tf from '@tensorflow/tfjs';

/**
 * An image-embedding network: trunk + linear embedder + L2 normalisation.
 * Inputs are NHWC float32 images in the paper's convention (BGR, 0..255 minus mean [104,117,128]).
 */
export interface EmbeddingModel {
  readonly name: string;
  /** Side of the square input crop (227 for BN-Inception). */
  readonly inputSize: number;
  readonly embeddingSize: number;
  /** [N,H,W,3] -> [N,embeddingSize] unit-length embeddings. BatchNorm always runs in inference mode. */
  embed(images: tf.Tensor4D): tf.Tensor2D;
  /** Trainable variables of the model parameter group (trunk + embedder, BN gamma/beta included). */
  trainableVariables(): tf.Variable[];
  /** Every weight by stable name, trainable or not (BN running statistics too): for checkpoints. */
  namedWeights(): Map<string, tf.Variable>;
  dispose(): void;
}
