/**
 * Per-class styles of the synthetic dataset: what makes a class a class.
 *
 * Object: a unique (shape family, texture, hue) combination. Hues and shapes are each shared by
 * several classes, so the object identifies its class only through the COMBINATION (shape, texture
 * and colour together): a real but harder signal.
 * Background: a "setting" of its own per class (palette, texture family, orientation, clutter
 * density), like SOP's products photographed in one place; its colours are spread far apart across
 * classes, so the background's mean colour alone separates the classes: the EASY shortcut that a
 * base model learns. Settings are photo-like (multi-scale texture, edges, distractor blobs, a few
 * stray colours), so that clean images are about as hard for an object-focused model as images
 * whose background is swapped for a real photo: the swapped-background drop then measures
 * background bias, not "photos are harder than smooth synthetic backgrounds".
 */
import { Rng } from '../../util/rng';
import { hsvToRgb, mixRgb, rgbDistance, type Rgb } from './colour';
import { SHAPE_FAMILIES, type ShapeFamily } from './shapes';

export const TEXTURE_KINDS = ['solid', 'stripes', 'dots', 'checker', 'rings', 'split'] as const;
export type TextureKind = (typeof TEXTURE_KINDS)[number];

export const BACKGROUND_PATTERNS = ['clouds', 'foliage', 'tiles', 'grain', 'pebbles', 'streaks'] as const;
export type BackgroundPattern = (typeof BACKGROUND_PATTERNS)[number];

const OBJECT_HUES = 12;
export const MAX_SYNTHETIC_CLASSES = SHAPE_FAMILIES.length * TEXTURE_KINDS.length * OBJECT_HUES;

export interface ObjectStyle {
  shape: ShapeFamily;
  texture: TextureKind;
  hueIndex: number;
  primary: Rgb;
  secondary: Rgb;
  /** Texture cycles per unit of object radius. */
  textureFrequency: number;
}

export interface BackgroundSetting {
  pattern: BackgroundPattern;
  colourA: Rgb;
  colourB: Rgb;
  /** Pattern orientation in radians. */
  angle: number;
  /** Base texture cells across the image (finer octaves follow). */
  frequency: number;
  /** Accent colour of patches and some distractors. */
  colourC: Rgb;
  /** Mean number of distractor blobs and edges per image. */
  clutter: number;
}

export interface ClassSpec {
  classId: number;
  object: ObjectStyle;
  background: BackgroundSetting;
}

/** The styles of classes 0..count-1, a pure function of (seed, count). */
export function buildClassSpecs(seed: number | string, count: number): ClassSpec[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SYNTHETIC_CLASSES) {
    throw new Error(`synthetic classes: count ${count} must be an integer in 1..${MAX_SYNTHETIC_CLASSES}`);
  }
  const root = Rng.fromSeed(`synthetic|${seed}`);
  const combos = pickObjectCombos(root.derive('objectCombos'), count);
  const bgColours = farthestColours(root.derive('backgroundColours'), count);
  const hueOffsets = spreadWithinFamilies(combos.map((k) => k[2]));
  const specs: ClassSpec[] = [];
  for (let c = 0; c < count; c++) {
    const rng = root.derive('class', c);
    const [shapeIdx, textureIdx, hueIdx] = combos[c];
    // hue families (shared by a few classes) plus a per-class offset inside the family, so the
    // colour alone already narrows the class down and shape + texture settle it
    const hue = (hueIdx + hueOffsets[c]) / OBJECT_HUES;
    const primary = hsvToRgb(hue, rng.uniformIn(0.7, 0.9), rng.uniformIn(0.8, 0.95));
    const secondary = rng.uniform() < 0.5 ? mixRgb(primary, [255, 255, 255], 0.65) : mixRgb(primary, [0, 0, 0], 0.6);
    const object: ObjectStyle = {
      shape: SHAPE_FAMILIES[shapeIdx],
      texture: TEXTURE_KINDS[textureIdx],
      hueIndex: hueIdx,
      primary,
      secondary,
      textureFrequency: rng.uniformIn(1.6, 2.4),
    };
    // of the next few unused background colours take the one farthest from this object's colour,
    // so the object stays visible on its own setting
    let best = 0;
    const window = Math.min(4, bgColours.length);
    for (let k = 1; k < window; k++) {
      if (rgbDistance(bgColours[k], primary) > rgbDistance(bgColours[best], primary)) best = k;
    }
    const colourA = bgColours.splice(best, 1)[0];
    const colourB = shiftColour(colourA, rng);
    const colourC = shiftColour(colourA, rng);
    const pattern = BACKGROUND_PATTERNS[c % BACKGROUND_PATTERNS.length];
    specs.push({
      classId: c,
      object,
      background: {
        pattern,
        colourA,
        colourB,
        colourC,
        angle: rng.uniformIn(0, Math.PI),
        frequency: rng.uniformIn(2, 4),
        clutter: rng.uniformIn(6, 14),
      },
    });
  }
  return specs;
}

/** A partner colour for a background palette: a related hue at a different lightness. */
function shiftColour(a: Rgb, rng: Rng): Rgb {
  const towards: Rgb = rng.uniform() < 0.5 ? [255, 255, 255] : [0, 0, 0];
  const tinted = mixRgb(a, towards, rng.uniformIn(0.3, 0.5));
  const hueShift = hsvToRgb(rng.uniform(), 0.6, 0.8);
  return mixRgb(tinted, hueShift, 0.2);
}

/**
 * `count` distinct (shape, texture, hue) index triples that spread each attribute evenly: each next
 * class takes the least-used values so that classes sharing a hue differ in shape and texture.
 */
function pickObjectCombos(rng: Rng, count: number): Array<[number, number, number]> {
  const all: Array<[number, number, number]> = [];
  for (let s = 0; s < SHAPE_FAMILIES.length; s++) {
    for (let t = 0; t < TEXTURE_KINDS.length; t++) for (let h = 0; h < OBJECT_HUES; h++) all.push([s, t, h]);
  }
  rng.shuffle(all);
  const used = new Set<number>();
  const shapeUse = new Array(SHAPE_FAMILIES.length).fill(0);
  const textureUse = new Array(TEXTURE_KINDS.length).fill(0);
  const hueUse = new Array(OBJECT_HUES).fill(0);
  const pairUse = new Map<string, number>();
  const out: Array<[number, number, number]> = [];
  for (let c = 0; c < count; c++) {
    let bestIdx = -1,
      bestScore = Infinity;
    for (let i = 0; i < all.length; i++) {
      if (used.has(i)) continue;
      const [s, t, h] = all[i];
      const score =
        shapeUse[s] +
        textureUse[t] +
        hueUse[h] +
        2 * ((pairUse.get(`s${s}t${t}`) ?? 0) + (pairUse.get(`s${s}h${h}`) ?? 0) + (pairUse.get(`t${t}h${h}`) ?? 0));
      if (score < bestScore) {
        bestScore = score;
        bestIdx = i;
      }
    }
    used.add(bestIdx);
    const [s, t, h] = all[bestIdx];
    shapeUse[s]++;
    textureUse[t]++;
    hueUse[h]++;
    for (const k of [`s${s}t${t}`, `s${s}h${h}`, `t${t}h${h}`]) pairUse.set(k, (pairUse.get(k) ?? 0) + 1);
    out.push([s, t, h]);
  }
  return out;
}

/** `count` background base colours spread as far apart as possible (greedy farthest-point sampling). */
function farthestColours(rng: Rng, count: number): Rgb[] {
  const candidates: Rgb[] = [];
  for (let i = 0; i < Math.max(2000, count * 20); i++) {
    candidates.push(hsvToRgb(rng.uniform(), rng.uniformIn(0.25, 0.85), rng.uniformIn(0.3, 0.95)));
  }
  const chosen: Rgb[] = [candidates[0]];
  const minDist = candidates.map((c) => rgbDistance(c, candidates[0]));
  while (chosen.length < count) {
    let best = 0;
    for (let i = 1; i < candidates.length; i++) if (minDist[i] > minDist[best]) best = i;
    chosen.push(candidates[best]);
    for (let i = 0; i < candidates.length; i++)
      minDist[i] = Math.min(minDist[i], rgbDistance(candidates[i], candidates[best]));
  }
  return chosen;
}

/** For classes sharing a hue family, offsets in [-0.35, 0.35] of a family step, spread evenly. */
function spreadWithinFamilies(hues: number[]): number[] {
  const members = new Map<number, number[]>();
  hues.forEach((h, c) => members.set(h, [...(members.get(h) ?? []), c]));
  const out = new Array<number>(hues.length).fill(0);
  for (const cs of members.values()) {
    cs.forEach((c, k) => {
      out[c] = cs.length === 1 ? 0 : -0.35 + (0.7 * k) / (cs.length - 1);
    });
  }
  return out;
}
