/**
 * The attribution baseline (docs/protocol.md section 10): an all-black 500x500 image after the val transform.
 */
import * as tf from '@tensorflow/tfjs';
import { evalTransform, type TransformConfig } from './pipeline';

export const BLACK_IMAGE_SIZE = 500;

/** crop*crop*3 HWC BGR values (every pixel = -mean after the transform). */
export function blackImagePixels(cfg: TransformConfig): Float32Array {
  const black = {
    width: BLACK_IMAGE_SIZE,
    height: BLACK_IMAGE_SIZE,
    data: new Uint8Array(BLACK_IMAGE_SIZE * BLACK_IMAGE_SIZE * 3),
  };
  return evalTransform(black, undefined, cfg).image;
}

/** [1, crop, crop, 3]; the caller disposes it. */
export function blackImageTensor(cfg: TransformConfig): tf.Tensor4D {
  return tf.tensor4d(blackImagePixels(cfg), [1, cfg.crop, cfg.crop, 3]);
}
