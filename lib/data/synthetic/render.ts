/**
 * Pixels of one synthetic image: the object's colour field (its texture over the whole frame), its
 * soft coverage mask (analytic anti-aliasing from the shape's signed distance), the background, and
 * the composite image = object * m + background * (1 - m) with the SAME 8-bit mask m that is stored,
 * so the stored mask is exactly the object's alpha (255 = object pixel, 0 = background pixel).
 */
import type { GrayImage, RgbImage } from '../images';
import { Rng } from '../../util/rng';
import { clampByte } from './colour';
import type { BackgroundInstance, InstanceSpec, ObjectInstance } from './instance';
import { shapeOf } from './shapes';

const clamp01 = (v: number) => (v <= 0 ? 0 : v >= 1 ? 1 : v);

/** Texture mix between primary (0) and secondary (1) colour at object-frame point (u, v). */
function textureAt(o: ObjectInstance, u: number, v: number): number {
  const f = o.textureFrequency;
  switch (o.texture) {
    case 'solid':
      return 0.2 * (0.5 + 0.5 * u); // gentle shading only
    case 'stripes':
      return clamp01(0.5 + 1.5 * Math.sin(2 * Math.PI * f * u));
    case 'dots': {
      const gx = u * f - Math.round(u * f), gy = v * f - Math.round(v * f);
      return clamp01((0.3 - Math.hypot(gx, gy)) * 10 + 0.5);
    }
    case 'checker':
      return clamp01(0.5 + 3 * Math.sin(Math.PI * f * u) * Math.sin(Math.PI * f * v));
    case 'rings':
      return clamp01(0.5 + 1.5 * Math.sin(2 * Math.PI * f * Math.hypot(u, v)));
    case 'split':
      return clamp01(0.5 + 6 * v);
  }
}

export interface RenderedObject {
  /** The object's colour at every pixel (as if it covered the whole frame). */
  colour: RgbImage;
  /** Soft coverage 0..255. */
  mask: GrayImage;
}

export function renderObject(o: ObjectInstance, size: number): RenderedObject {
  const shape = shapeOf(o.shape);
  const colour = new Uint8Array(size * size * 3);
  const mask = new Uint8Array(size * size);
  const cos = Math.cos(o.rotation), sin = Math.sin(o.rotation);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - o.cx, dy = y + 0.5 - o.cy;
      const u = (dx * cos + dy * sin) / o.scale;
      const v = (-dx * sin + dy * cos) / o.scale;
      const i = y * size + x;
      // pixels far outside the unit disc are certainly background: skip the distance evaluation
      if (u * u + v * v < (1 + 1.5 / o.scale) ** 2) {
        mask[i] = clampByte(255 * clamp01(0.5 - shape.sdf(u, v) * o.scale));
      }
      const t = textureAt(o, u, v);
      for (let c = 0; c < 3; c++) colour[i * 3 + c] = clampByte(o.primary[c] + (o.secondary[c] - o.primary[c]) * t);
    }
  }
  return { colour: { width: size, height: size, data: colour }, mask: { width: size, height: size, data: mask } };
}

/** Pattern value in 0..1 at image-fraction coordinates (x, y). */
function patternAt(b: BackgroundInstance, x: number, y: number): number {
  const ca = Math.cos(b.angle), sa = Math.sin(b.angle);
  const along = x * ca + y * sa, across = -x * sa + y * ca;
  const f = b.frequency;
  switch (b.pattern) {
    case 'linear':
      return clamp01(along * 0.7 + 0.15 + 0.1 * Math.sin(b.phase));
    case 'radial':
      return clamp01(Math.hypot(x - b.centre[0], y - b.centre[1]) * 1.4);
    case 'stripes':
      return clamp01(0.5 + 1.2 * Math.sin(2 * Math.PI * f * along + b.phase));
    case 'checker':
      return clamp01(0.5 + 2 * Math.sin(Math.PI * f * along + b.phase) * Math.sin(Math.PI * f * across));
    case 'waves':
      return 0.5 + 0.5 * Math.sin(2 * Math.PI * f * along + 2 * Math.sin(2 * Math.PI * 1.3 * across + b.phase));
    case 'blobs': {
      const dx = x - b.centre[0], dy = y - b.centre[1];
      const s = Math.sin(2 * Math.PI * f * along + b.phase) + Math.sin(2 * Math.PI * f * 0.8 * (dx * 0.6 - dy * 0.8)) +
        Math.sin(2 * Math.PI * f * 1.2 * (dx * 0.9 + dy * 0.45) + 2 * b.phase);
      return clamp01(0.5 + s / 3);
    }
  }
}

export function renderBackground(b: BackgroundInstance, size: number): RgbImage {
  const data = new Uint8Array(size * size * 3);
  const noise = Rng.fromSeed(b.noiseSeed);
  const lx = Math.cos(b.lightAngle), ly = Math.sin(b.lightAngle);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const xf = (x + 0.5) / size, yf = (y + 0.5) / size;
      const t = patternAt(b, xf, yf);
      const light = 1 + b.lightStrength * ((xf - 0.5) * lx + (yf - 0.5) * ly) * 2;
      const n = (noise.uniform() * 2 - 1) * b.noiseAmplitude;
      const i = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) data[i + c] = clampByte((b.colourA[c] + (b.colourB[c] - b.colourA[c]) * t) * light + n);
    }
  }
  return { width: size, height: size, data };
}

/** image = object * m + background * (255 - m), rounded, with m the 8-bit mask. */
export function composite(object: RenderedObject, background: RgbImage): RgbImage {
  const { width, height } = background;
  const out = new Uint8Array(width * height * 3);
  const m = object.mask.data, o = object.colour.data, b = background.data;
  for (let i = 0; i < width * height; i++) {
    const a = m[i];
    for (let c = 0; c < 3; c++) {
      const k = i * 3 + c;
      out[k] = Math.round((o[k] * a + b[k] * (255 - a)) / 255);
    }
  }
  return { width, height, data: out };
}

export interface RenderedInstance {
  image: RgbImage;
  mask: GrayImage;
  object: RenderedObject;
  background: RgbImage;
}

export function renderInstance(spec: InstanceSpec): RenderedInstance {
  const object = renderObject(spec.object, spec.size);
  const background = renderBackground(spec.background, spec.size);
  return { image: composite(object, background), mask: object.mask, object, background };
}
