import { pythonRound } from './pythonRound';

/** The random numbers a transform consumes (lib/util/rng.ts's Rng satisfies it). */
export interface TransformRng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Integer uniform in [lo, hi], inclusive. */
  int(lo: number, hi: number): number;
}

export interface CropParams {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * torchvision 0.14 RandomResizedCrop.get_params, draw for draw.
 *
 * torch samples in float32 (`torch.empty(1).uniform_(lo, hi)`, `torch.log(torch.tensor(ratio))`,
 * `torch.exp` of a float32 tensor), so the intermediate values are rounded to float32 here too; the
 * pixel sizes then use Python's round (half to even). Each try consumes two uniforms; an accepted
 * try then draws top = randint(0, H-h) and left = randint(0, W-w). After 10 failed tries it falls
 * back to a centre crop whose aspect ratio is clamped into `ratio`.
 */
export function randomResizedCropParams(
  width: number,
  height: number,
  rng: TransformRng,
  scale: readonly [number, number] = [0.16, 1],
  ratio: readonly [number, number] = [0.75, 1.33],
): CropParams {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`randomResizedCropParams: invalid image size ${width}x${height}`);
  }
  if (!(scale[0] <= scale[1] && ratio[0] <= ratio[1] && scale[0] > 0 && ratio[0] > 0)) {
    throw new Error(
      `randomResizedCropParams: scale ${JSON.stringify(scale)} and ratio ${JSON.stringify(ratio)} must be positive (min, max) pairs`,
    );
  }
  const f = Math.fround;
  const area = height * width;
  const logLo = f(Math.log(f(ratio[0])));
  const logHi = f(Math.log(f(ratio[1])));
  for (let attempt = 0; attempt < 10; attempt++) {
    const s = f(scale[0] + (scale[1] - scale[0]) * rng.uniform());
    const targetArea = area * s;
    const aspect = f(Math.exp(f(logLo + (logHi - logLo) * rng.uniform())));
    const w = pythonRound(Math.sqrt(targetArea * aspect));
    const h = pythonRound(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(0, height - h);
      const left = rng.int(0, width - w);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < Math.min(ratio[0], ratio[1])) {
    w = width;
    h = pythonRound(w / Math.min(ratio[0], ratio[1]));
  } else if (inRatio > Math.max(ratio[0], ratio[1])) {
    h = height;
    w = pythonRound(h * Math.max(ratio[0], ratio[1]));
  } else {
    w = width;
    h = height;
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}
