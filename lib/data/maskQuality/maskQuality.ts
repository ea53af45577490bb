/**
 * The paper's mask-quality check (docs/protocol.md section 11; notebooks/rembg_check.ipynb): both masks
 * binarised at >= 128; IoU = |GT and P| / |GT or P|; overlap = |GT and P| / |GT|; per dataset the
 * mean, std (ddof 0), median, quartiles (numpy's linear interpolation), min and max.
 */
import type { GrayImage } from '../../image/types';
import { max, mean, median, min, quantile, std } from '../../util/stats';

export interface MaskScore {
  iou: number;
  overlap: number;
}

export function scoreMask(gt: GrayImage, pred: GrayImage, what = 'mask'): MaskScore {
  if (gt.width !== pred.width || gt.height !== pred.height) {
    throw new Error(
      `${what}: ground truth is ${gt.width}x${gt.height} but the predicted mask is ${pred.width}x${pred.height}`,
    );
  }
  let inter = 0;
  let union = 0;
  let gtCount = 0;
  for (let i = 0; i < gt.data.length; i++) {
    const g = gt.data[i] >= 128;
    const p = pred.data[i] >= 128;
    if (g && p) inter++;
    if (g || p) union++;
    if (g) gtCount++;
  }
  // numpy gives nan for 0/0 (an empty ground truth); keep that visible rather than invent a value.
  return { iou: inter / union, overlap: inter / gtCount };
}

export interface Summary {
  mean: number;
  std: number;
  median: number;
  q25: number;
  q75: number;
  min: number;
  max: number;
}

export function summariseScores(values: readonly number[]): Summary {
  return {
    mean: mean(values),
    std: std(values, 0),
    median: median(values),
    q25: quantile(values, 0.25),
    q75: quantile(values, 0.75),
    min: min(values),
    max: max(values),
  };
}

export interface MaskQualityResult {
  images: number;
  iou: Summary;
  overlap: Summary;
  perImage: ({ id: string } & MaskScore)[];
}

export function summariseMaskQuality(perImage: ({ id: string } & MaskScore)[]): MaskQualityResult {
  if (perImage.length === 0) throw new Error('mask quality: no image pairs to score');
  return {
    images: perImage.length,
    iou: summariseScores(perImage.map((s) => s.iou)),
    overlap: summariseScores(perImage.map((s) => s.overlap)),
    perImage,
  };
}
