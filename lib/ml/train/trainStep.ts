import * as tf from '@tensorflow/tfjs';
import type { MetricLoss } from '../losses/types';
import type { EmbeddingModel } from '../models/types';
import { batchTensor, type HostBatch } from './batches';

/**
 * One optimisation step as the product trains (trainer.ts calls it for every batch; the golden
 * training tests call it on fixed batches): embed, loss, gradients of every trainable variable of
 * the model and the loss (tf.variableGrads), then `applyGradients` (RMSprop with the two parameter
 * groups). The labels must already be 0..C-1. Returns the loss value before the update.
 */
export async function trainStep(
  model: EmbeddingModel,
  loss: MetricLoss,
  applyGradients: (grads: tf.NamedTensorMap) => void,
  batch: HostBatch,
): Promise<number> {
  const vars = [...model.trainableVariables(), ...loss.trainableVariables()];
  const { value, grads } = tf.tidy(() => {
    const x = batchTensor(batch);
    const y = tf.tensor1d(batch.labels, 'int32');
    return tf.variableGrads(() => loss.compute(model.embed(x), y), vars);
  });
  try {
    applyGradients(grads);
  } finally {
    tf.dispose(grads);
  }
  const lossValue = (await value.data())[0];
  value.dispose();
  return lossValue;
}
