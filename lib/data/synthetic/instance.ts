/**
 * One image's draw from its class: the object's pose, scale and colour jitter and the background's
 * per-image variation. Plain JSON, so an item can be re-rendered (tests) or inspected.
 */
import type { Rng } from '../../util/rng';
import type { BackgroundPattern, ClassSpec, TextureKind } from './classSpecs';
import type { Rgb } from './colour';
import { shapeOf, type ShapeFamily } from './shapes';

export interface ObjectInstance {
  shape: ShapeFamily;
  texture: TextureKind;
  /** Centre in pixels. */
  cx: number;
  cy: number;
  /** Pixels per unit of the shape frame. */
  scale: number;
  /** Rotation in radians (texture rotates with the object). */
  rotation: number;
  primary: Rgb;
  secondary: Rgb;
  textureFrequency: number;
}

export interface BackgroundInstance {
  pattern: BackgroundPattern;
  colourA: Rgb;
  colourB: Rgb;
  colourC: Rgb;
  angle: number;
  frequency: number;
  phase: number;
  /** Number of distractor blobs and edges drawn over the texture. */
  distractors: number;
  /** Probability that a distractor takes a colour outside the class palette (photos have those). */
  strayColourRate: number;
  /** Pattern centre (radial, blobs) in image fractions. */
  centre: [number, number];
  /** Lighting gradient direction and strength across the image. */
  lightAngle: number;
  lightStrength: number;
  /** Amplitude of per-pixel luminance noise; the seed string of the texture, distractors and noise. */
  noiseAmplitude: number;
  noiseSeed: string;
}

export interface InstanceSpec {
  classId: number;
  size: number;
  object: ObjectInstance;
  background: BackgroundInstance;
}

/** Fraction of the image area the object covers (before clamping very elongated shapes). */
const AREA_FRACTION: [number, number] = [0.2, 0.38];

export function sampleInstance(spec: ClassSpec, size: number, rng: Rng): InstanceSpec {
  const shape = shapeOf(spec.object.shape);
  const fraction = rng.uniformIn(AREA_FRACTION[0], AREA_FRACTION[1]);
  // the shape fits in the unit disc: keep the whole disc inside the image
  const scale = Math.min(Math.sqrt((fraction * size * size) / shape.area), 0.47 * size);
  const margin = scale + 1;
  const cx = margin >= size - margin ? size / 2 : rng.uniformIn(margin, size - margin);
  const cy = margin >= size - margin ? size / 2 : rng.uniformIn(margin, size - margin);
  const brightness = rng.uniformIn(0.88, 1.12);
  const jitter = (c: Rgb, amount: number): Rgb => c.map((v) => v * brightness + rng.uniformIn(-amount, amount)) as Rgb;
  const object: ObjectInstance = {
    shape: spec.object.shape,
    texture: spec.object.texture,
    cx,
    cy,
    scale,
    rotation: rng.uniformIn(0, 2 * Math.PI),
    primary: jitter(spec.object.primary, 8),
    secondary: jitter(spec.object.secondary, 8),
    textureFrequency: spec.object.textureFrequency * rng.uniformIn(0.92, 1.08),
  };
  const bgShade = rng.uniformIn(0.9, 1.1);
  const bgJitter = (c: Rgb): Rgb => c.map((v) => v * bgShade + rng.uniformIn(-10, 10)) as Rgb;
  const background: BackgroundInstance = {
    pattern: spec.background.pattern,
    colourA: bgJitter(spec.background.colourA),
    colourB: bgJitter(spec.background.colourB),
    colourC: bgJitter(spec.background.colourC),
    angle: spec.background.angle + rng.uniformIn(-0.3, 0.3),
    frequency: spec.background.frequency * rng.uniformIn(0.85, 1.15),
    phase: rng.uniformIn(0, 2 * Math.PI),
    distractors: Math.max(0, Math.round(spec.background.clutter * rng.uniformIn(0.6, 1.4))),
    strayColourRate: 0.25,
    centre: [rng.uniformIn(0.2, 0.8), rng.uniformIn(0.2, 0.8)],
    lightAngle: rng.uniformIn(0, 2 * Math.PI),
    lightStrength: rng.uniformIn(0.05, 0.2),
    noiseAmplitude: rng.uniformIn(3, 8),
    noiseSeed: rng.state().join('-'),
  };
  return { classId: spec.classId, size, object, background };
}
