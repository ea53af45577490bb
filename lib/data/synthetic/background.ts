/**
 * Photo-like class settings: a multi-scale texture of the class's family in the class's palette,
 * accent patches, distractor blobs, bars and shadow edges (a few in colours outside the palette),
 * lighting and sensor noise. Clutter at every scale makes the background about as distracting as
 * a real photo, while its palette and texture family still give away the class (the shortcut).
 */
import type { RgbImage } from '../../image/types';
import { Rng } from '../../util/rng';
import { clampByte, hsvToRgb, mixRgb, type Rgb } from './colour';
import type { BackgroundInstance } from './instance';
import { FractalNoise } from './noise';

const clamp01 = (v: number) => (v <= 0 ? 0 : v >= 1 ? 1 : v);
const smoothstep = (a: number, b: number, v: number) => {
  const t = clamp01((v - a) / (b - a));
  return t * t * (3 - 2 * t);
};
/** fBm concentrates around 0.5: stretch it to use the whole palette range. */
const stretch = (v: number, gain: number) => clamp01(0.5 + gain * (v - 0.5));

interface Fields {
  base: FractalNoise;
  detail: FractalNoise;
  patches: FractalNoise;
}

/** Texture value in 0..1 (0 = colourA, 1 = colourB) at image-fraction coordinates (x, y). */
function textureAt(b: BackgroundInstance, f: Fields, x: number, y: number): number {
  const ca = Math.cos(b.angle),
    sa = Math.sin(b.angle);
  const along = x * ca + y * sa,
    across = -x * sa + y * ca;
  switch (b.pattern) {
    case 'clouds':
      return stretch(f.base.at(x, y), 2.6);
    case 'foliage': {
      // ridged noise: thin bright veins and dark gaps at several scales, like leaves or gravel
      const r = 1 - Math.abs(2 * f.base.at(x, y) - 1);
      return clamp01(r * r * 1.6 - 0.2 + 0.5 * (f.detail.at(x, y) - 0.5));
    }
    case 'tiles': {
      // a rotated brick wall: one shade per brick, dark mortar lines (long straight edges)
      const rows = b.frequency * 1.3;
      const rv = across * rows + b.phase;
      const ru = along * rows * 0.6 + (Math.floor(rv) % 2 === 0 ? 0 : 0.5);
      const du = Math.abs(ru - Math.round(ru)),
        dv = Math.abs(rv - Math.round(rv));
      const mortar = smoothstep(0.04, 0.08, Math.min(du / 0.6, dv));
      const shade = f.base.cell(Math.floor(ru), Math.floor(rv));
      return clamp01((0.15 + 0.75 * shade + 0.4 * (f.detail.at(x, y) - 0.5)) * mortar + (1 - mortar) * 0.95);
    }
    case 'grain': {
      // warped stripes across the setting's direction, like wood, fabric or corrugated surfaces
      const w = Math.sin(2 * Math.PI * (b.frequency * 1.4 * across + 2.2 * f.base.at(x, y)) + b.phase);
      return clamp01(0.5 + 0.55 * w + 0.4 * (f.detail.at(x, y) - 0.5));
    }
    case 'pebbles':
      return stretch(f.detail.at(x, y), 3.2);
    case 'streaks':
      // noise stretched along the setting's direction: grass, rain, brushed metal
      return stretch(f.base.at(along * 0.3, across * 3), 2.6);
  }
}

type Distractor =
  | {
      kind: 'blob';
      cx: number;
      cy: number;
      rx: number;
      ry: number;
      cos: number;
      sin: number;
      colour: Rgb;
      alpha: number;
    }
  | { kind: 'bar'; ax: number; ay: number; bx: number; by: number; half: number; colour: Rgb; alpha: number }
  | { kind: 'shade'; nx: number; ny: number; offset: number; colour: Rgb; alpha: number };

/** The image's distractors, in pixels, drawn from its own stream. */
function sampleDistractors(b: BackgroundInstance, size: number, rng: Rng): Distractor[] {
  const palette = [b.colourA, b.colourB, b.colourC];
  const colour = (): Rgb => {
    if (rng.uniform() < b.strayColourRate)
      return hsvToRgb(rng.uniform(), rng.uniformIn(0.2, 0.9), rng.uniformIn(0.25, 0.95));
    const c = rng.pick(palette);
    return rng.uniform() < 0.5
      ? mixRgb(c, [0, 0, 0], rng.uniformIn(0.2, 0.6))
      : mixRgb(c, [255, 255, 255], rng.uniformIn(0.15, 0.5));
  };
  const out: Distractor[] = [];
  for (let k = 0; k < b.distractors; k++) {
    const kind = rng.uniform();
    if (kind < 0.5) {
      const rx = size * rng.uniformIn(0.025, 0.13);
      const a = rng.uniformIn(0, Math.PI);
      out.push({
        kind: 'blob',
        cx: rng.uniformIn(0, size),
        cy: rng.uniformIn(0, size),
        rx,
        ry: rx * rng.uniformIn(0.3, 1),
        cos: Math.cos(a),
        sin: Math.sin(a),
        colour: colour(),
        alpha: rng.uniformIn(0.55, 1),
      });
    } else if (kind < 0.85) {
      const ax = rng.uniformIn(0, size),
        ay = rng.uniformIn(0, size);
      const len = size * rng.uniformIn(0.15, 0.6),
        a = rng.uniformIn(0, 2 * Math.PI);
      out.push({
        kind: 'bar',
        ax,
        ay,
        bx: ax + len * Math.cos(a),
        by: ay + len * Math.sin(a),
        half: rng.uniformIn(0.4, 2.2),
        colour: colour(),
        alpha: rng.uniformIn(0.5, 1),
      });
    } else {
      // a large shadow or light edge across the frame (a table edge, a wall corner)
      const a = rng.uniformIn(0, 2 * Math.PI);
      const nx = Math.cos(a),
        ny = Math.sin(a);
      out.push({
        kind: 'shade',
        nx,
        ny,
        offset: (nx + ny) * size * 0.5 + rng.uniformIn(-0.35, 0.35) * size,
        colour: rng.uniform() < 0.6 ? [0, 0, 0] : [255, 255, 255],
        alpha: rng.uniformIn(0.15, 0.4),
      });
    }
  }
  return out;
}

/** Coverage 0..1 of distractor d at pixel centre (px, py), anti-aliased over about one pixel. */
function coverage(d: Distractor, px: number, py: number): number {
  switch (d.kind) {
    case 'blob': {
      const dx = px - d.cx,
        dy = py - d.cy;
      const u = (dx * d.cos + dy * d.sin) / d.rx,
        v = (-dx * d.sin + dy * d.cos) / d.ry;
      return clamp01(0.5 - (Math.hypot(u, v) - 1) * Math.min(d.rx, d.ry));
    }
    case 'bar': {
      const ex = d.bx - d.ax,
        ey = d.by - d.ay,
        wx = px - d.ax,
        wy = py - d.ay;
      const t = clamp01((wx * ex + wy * ey) / (ex * ex + ey * ey));
      return clamp01(0.5 - (Math.hypot(wx - ex * t, wy - ey * t) - d.half));
    }
    case 'shade':
      return clamp01(0.5 + (px * d.nx + py * d.ny - d.offset));
  }
}

export function renderBackground(b: BackgroundInstance, size: number): RgbImage {
  const rng = Rng.fromSeed(b.noiseSeed);
  const fields: Fields = {
    base: new FractalNoise(rng.derive('base'), b.frequency, 4),
    detail: new FractalNoise(rng.derive('detail'), b.frequency * 3, 3),
    patches: new FractalNoise(rng.derive('patches'), 1.5, 3),
  };
  const distractors = sampleDistractors(b, size, rng.derive('distractors'));
  const noise = rng.derive('pixels');
  const data = new Uint8Array(size * size * 3);
  const lx = Math.cos(b.lightAngle),
    ly = Math.sin(b.lightAngle);
  const px: Rgb = [0, 0, 0];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const xf = (x + 0.5) / size,
        yf = (y + 0.5) / size;
      const t = textureAt(b, fields, xf, yf);
      const accent = 0.85 * smoothstep(0.56, 0.66, fields.patches.at(xf + b.centre[0], yf + b.centre[1]));
      for (let c = 0; c < 3; c++) {
        const v = b.colourA[c] + (b.colourB[c] - b.colourA[c]) * t;
        px[c] = v + (b.colourC[c] - v) * accent;
      }
      for (const d of distractors) {
        const a = coverage(d, x + 0.5, y + 0.5) * d.alpha;
        if (a > 0) for (let c = 0; c < 3; c++) px[c] += (d.colour[c] - px[c]) * a;
      }
      const light = 1 + b.lightStrength * ((xf - 0.5) * lx + (yf - 0.5) * ly) * 2;
      const n = (noise.uniform() * 2 - 1) * b.noiseAmplitude;
      const i = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) data[i + c] = clampByte(px[c] * light + n);
    }
  }
  return { width: size, height: size, data };
}
