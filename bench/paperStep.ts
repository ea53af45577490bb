/**
 * The loss and optimiser the step benchmarks and the GPU check train with: PML's contrastive loss
 * with Cars196's parameters and RMSprop with the paper's settings (configs/paper/hyperparameters.ts),
 * one parameter group. `lr` defaults to the paper's; a check that must see the loss move within a
 * few steps passes a larger one.
 */
import type * as tf from '@tensorflow/tfjs';
import { PAPER_HYPERPARAMETERS, PAPER_OPTIMIZER } from '../configs/paper/hyperparameters';
import { ContrastiveLoss } from '../lib/ml/losses';
import { TorchRMSprop } from '../lib/ml/optim/rmsprop';

export function paperContrastiveStep(vars: tf.Variable[], lr: number = PAPER_OPTIMIZER.lr) {
  const { alpha, eps, weightDecay, momentum } = PAPER_OPTIMIZER;
  return {
    loss: new ContrastiveLoss(PAPER_HYPERPARAMETERS.cars196.contrastive.params),
    optimizer: new TorchRMSprop([{ params: vars, lr }], { alpha, eps, weightDecay, momentum }),
  };
}
