/**
 * The attribution target's anchor: the model's embedding of the all-black 500x500 image after the val
 * transform (reference implementation: `model(val_transform(Image.new("RGB", (500, 500))))`). The
 * transformed image itself comes from lib/ml/transforms/blackImage.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { EmbeddingModel } from '../models/types';

/** [1,H,W,3] or [H,W,3] transformed black image -> [embeddingSize] embedding (caller disposes). */
export function blackReferenceEmbedding(model: EmbeddingModel, blackImage: tf.Tensor4D | tf.Tensor3D): tf.Tensor1D {
  const batch = blackImage.rank === 3 ? [1, ...blackImage.shape] : blackImage.shape;
  if (batch.length !== 4 || batch[0] !== 1 || batch[3] !== 3) {
    throw new Error(
      `blackReferenceEmbedding: expected one HWC image with 3 channels, got shape [${blackImage.shape.join(', ')}]`,
    );
  }
  return tf.tidy(
    () => model.embed(blackImage.reshape(batch) as tf.Tensor4D).reshape([model.embeddingSize]) as tf.Tensor1D,
  );
}
