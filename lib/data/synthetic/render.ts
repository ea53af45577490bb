/**
 * Pixels of one synthetic image: the object's colour field (its texture over the whole frame), its
 * soft coverage mask (analytic anti-aliasing from the shape's signed distance), the background, and
 * the composite image = object * m + background * (1 - m) with the SAME 8-bit mask m that is stored,
 * so the stored mask is exactly the object's alpha (255 = object pixel, 0 = background pixel).
 */
import type { GrayImage, RgbImage } from '../../image/types';
import { renderBackground } from './background';
import { clampByte } from './colour';
import type { InstanceSpec, ObjectInstance } from './instance';
import { shapeOf } from './shapes';

export { renderBackground };

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
      const gx = u * f - Math.round(u * f),
        gy = v * f - Math.round(v * f);
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
  const cos = Math.cos(o.rotation),
    sin = Math.sin(o.rotation);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - o.cx,
        dy = y + 0.5 - o.cy;
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

/** image = object * m + background * (255 - m), rounded, with m the 8-bit mask. */
export function composite(object: RenderedObject, background: RgbImage): RgbImage {
  const { width, height } = background;
  const out = new Uint8Array(width * height * 3);
  const m = object.mask.data,
    o = object.colour.data,
    b = background.data;
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
