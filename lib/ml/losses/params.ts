/**
 * Hyperparameters of each loss, as plain objects (zod-friendly: configs/lossParams.ts validates the same
 * shapes). Names follow PROTOCOL.md section 8; `lrLoss` (the loss parameter group's learning rate) is
 * accepted and ignored by the loss itself: the optimiser uses it.
 */
import type { LossName } from './types';

export interface ContrastiveParams {
  /** Positive pairs are penalised above this distance (may be negative: cub200 uses -0.2). */
  posMargin: number;
  /** Negative pairs are penalised below this distance. */
  negMargin: number;
}

export interface TripletParams {
  margin: number;
}

export interface MultiSimilarityParams {
  alpha: number;
  beta: number;
  base: number;
}

export interface ArcFaceParams {
  /** Additive angular margin in DEGREES (PML converts with np.radians). */
  marginDegrees: number;
  scale: number;
  lrLoss?: number;
}

export interface NormalizedSoftmaxParams {
  temperature: number;
  lrLoss?: number;
}

export interface LossParamsByName {
  contrastive: ContrastiveParams;
  triplet: TripletParams;
  multi_similarity: MultiSimilarityParams;
  arcface: ArcFaceParams;
  normalized_softmax: NormalizedSoftmaxParams;
}

/** The parameters of loss N (or of any loss, when N is left out). */
export type LossParams<N extends LossName = LossName> = LossParamsByName[N];

/** A clear error when a parameter is missing or not a finite number. */
export function requireFinite(lossName: string, params: object, keys: readonly string[]): void {
  if (params === null || typeof params !== 'object') throw new Error(`${lossName}: parameters must be an object`);
  for (const key of keys) {
    const v = (params as Record<string, unknown>)[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`${lossName}: parameter ${key} must be a finite number, got ${JSON.stringify(v)}`);
    }
  }
}

export function requirePositive(lossName: string, params: object, keys: readonly string[]): void {
  requireFinite(lossName, params, keys);
  for (const key of keys) {
    const v = (params as Record<string, number>)[key];
    if (!(v > 0)) throw new Error(`${lossName}: parameter ${key} must be > 0, got ${v}`);
  }
}
