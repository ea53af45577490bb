/** Shared by the loss tests: load a PML golden fixture and compare our value and gradients with it. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { LossName } from '../../../../contracts/grid';
import { createLoss } from '../../../../lib/ml/losses';
import { Rng } from '../../../../lib/util/rng';
import { maxRelativeError } from '../../../helpers/relativeError';

export interface GoldenCase {
  name: string;
  loss: LossName;
  params: Record<string, number>;
  labels: number[];
  embeddings: number[][];
  value: number;
  gradEmbeddings: number[][];
  numClasses?: number;
  weights?: number[][];
  gradWeights?: number[][];
}

export function loadCases(loss: LossName): GoldenCase[] {
  const path = join(__dirname, '..', '..', '..', 'fixtures', 'ml', `losses_${loss}.json`);
  return (JSON.parse(readFileSync(path, 'utf8')) as { cases: GoldenCase[] }).cases;
}

export const TOLERANCE = 1e-5;
/** Below this magnitude a reference array counts as zero: differences there are float32 noise. */
const ZERO_FLOOR = 1e-6;

/** Runs our loss on the case's inputs and asserts value and gradients within TOLERANCE of PML's. */
export function checkCase(c: GoldenCase): { value: number; errValue: number; errGrad: number; errW?: number } {
  const embeddingSize = c.embeddings[0].length;
  const loss = createLoss(c.loss, c.params as never, {
    embeddingSize,
    numClasses: c.numClasses ?? 1,
    rng: Rng.fromSeed('unused'),
  });
  try {
    if (c.weights) (loss as unknown as { setWeights(w: number[][]): void }).setWeights(c.weights);
    const result = tf.tidy(() => {
      const e = tf.tensor2d(c.embeddings);
      const labels = tf.tensor1d(c.labels, 'int32');
      const vars = loss.trainableVariables();
      const f = (x: tf.Tensor) => loss.compute(x as tf.Tensor2D, labels);
      const { value, grads } = tf.valueAndGrads(f)([e]);
      const out: { value: number; grad: Float32Array; gradW?: Float32Array } = {
        value: value.dataSync()[0],
        grad: grads[0].dataSync() as Float32Array,
      };
      if (vars.length > 0) {
        const g = tf.variableGrads(() => f(e), vars);
        out.gradW = g.grads[vars[0].name].dataSync() as Float32Array;
      }
      return out;
    });
    const errValue = maxRelativeError([result.value], [c.value], ZERO_FLOOR);
    const errGrad = maxRelativeError(result.grad, c.gradEmbeddings.flat(), ZERO_FLOOR);
    assert.ok(errValue < TOLERANCE, `${c.name}: value ${result.value} vs PML ${c.value} (rel err ${errValue})`);
    assert.ok(errGrad < TOLERANCE, `${c.name}: embedding gradient rel err ${errGrad}`);
    let errW: number | undefined;
    if (c.gradWeights) {
      assert.ok(result.gradW, `${c.name}: no gradient for W`);
      errW = maxRelativeError(result.gradW, c.gradWeights.flat(), ZERO_FLOOR);
      assert.ok(errW < TOLERANCE, `${c.name}: W gradient rel err ${errW}`);
    }
    return { value: result.value, errValue, errGrad, errW };
  } finally {
    loss.dispose();
  }
}
