/**
 * The size torchvision's Resize(int) gives an image: the geometry both the prepared datasets
 * (lib/data/prepareDataset.ts, resized once) and the transforms (lib/ml/transforms) rely on.
 */

/** torchvision Resize(size) output size for an int size: shorter side = size, longer side truncated. */
export function resizedSize(width: number, height: number, size: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.trunc((size * height) / width) };
  return { width: Math.trunc((size * width) / height), height: size };
}
