/**
 * The background-bias protocols of an audit, for retrieval on a test split, and how each one
 * transforms an eval item (x = image, m = soft mask, both after the eval transform, HWC in the model's
 * channel space; composite(a, m, b) = a*m + b*(1-m) as lib/ml/transforms/composite.ts):
 *
 *   clean            x
 *   swapped          composite(x, m, bg): bg a test-pool background, train-transformed (the paper)
 *   only-fg          composite(x, m, flat): the object on a flat colour
 *   only-bg          removeObject(x, m): the object box filled from the image's own background
 *                    (holeFill.ts; rule 'tile' by default)
 *   mixed-same       composite(x, m, removeObject(donor)): donor another image of the same class
 *   mixed-rand       the same with a donor of a random other class (donors.ts)
 *
 * Sides: clean and swapped transform query and gallery alike and use one set for both (query =
 * gallery, self excluded: exactly the paper's protocol); swapped-query swaps only the queries and
 * searches a clean gallery (the product-search case), swapped-gallery the reverse. only-fg, only-bg
 * and the mixed protocols transform both sides by default (one shared set, like the paper's swap);
 * with applyTo 'queries' they transform the queries only, against a clean gallery.
 * BG-Gap = mixed-same - mixed-rand (Xiao et al.), computed from the two protocols' results.
 */
import type { RgbImage } from '../image/types';
import { compositeBackground } from '../ml/transforms/composite';
import { auditStream } from './auditStreams';
import { drawBackground, type BackgroundDraw, type CropRanges } from './backgroundDraw';
import type { ClassIndex } from './donors';
import type { EvalItem } from './evalItems';
import { removeObject, type HoleFillRule } from './holeFill';
import type { InputConvention } from './inputConvention';

export const PROTOCOLS = [
  'clean',
  'swapped',
  'swapped-query',
  'swapped-gallery',
  'only-fg',
  'only-bg',
  'mixed-same',
  'mixed-rand',
] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];

/** What is done to one image. */
export type ImageVariant = 'clean' | 'swapped' | 'only-fg' | 'only-bg' | 'mixed-same' | 'mixed-rand';

/** Which variants draw random numbers (and so are repeated with fresh draws). */
export const DRAWN_VARIANTS: readonly ImageVariant[] = ['swapped', 'mixed-same', 'mixed-rand'];

export type ApplyTo = 'both' | 'queries';

export interface ProtocolSides {
  query: ImageVariant;
  gallery: ImageVariant;
  /** One set serves as queries and gallery (same-source retrieval, self excluded). */
  shared: boolean;
}

export function protocolSides(protocol: ProtocolName, applyTo: ApplyTo = 'both'): ProtocolSides {
  switch (protocol) {
    case 'clean':
      return { query: 'clean', gallery: 'clean', shared: true };
    case 'swapped':
      return { query: 'swapped', gallery: 'swapped', shared: true };
    case 'swapped-query':
      return { query: 'swapped', gallery: 'clean', shared: false };
    case 'swapped-gallery':
      return { query: 'clean', gallery: 'swapped', shared: false };
    case 'only-fg':
    case 'only-bg':
    case 'mixed-same':
    case 'mixed-rand':
      return applyTo === 'queries'
        ? { query: protocol, gallery: 'clean', shared: false }
        : { query: protocol, gallery: protocol, shared: true };
    default:
      throw new Error(`unknown protocol ${JSON.stringify(protocol)}; expected one of ${PROTOCOLS.join(', ')}`);
  }
}

export function isDrawn(sides: ProtocolSides): boolean {
  return DRAWN_VARIANTS.includes(sides.query) || DRAWN_VARIANTS.includes(sides.gallery);
}

/** Everything a variant needs besides the item (and its donor). */
export interface RenderContext {
  conv: InputConvention;
  /** The test pool of backgrounds (swapped). */
  backgrounds: readonly RgbImage[];
  ranges: CropRanges;
  /** The flat colour of only-fg (and of hole rule 'flat'), in the model's channel space. */
  flat: Float32Array;
  hole: HoleFillRule;
  classes: ClassIndex;
  seed: number | string;
  split: string;
  repetition: number;
}

/** The random draws that made one image: recorded with the results. */
export interface ItemDraw {
  image: number;
  background?: BackgroundDraw;
  donor?: number;
}

/** The donor a mixed variant uses for image `index` in this repetition (undefined for the others). */
export function chooseDonor(variant: ImageVariant, index: number, ctx: RenderContext): number | undefined {
  if (variant !== 'mixed-same' && variant !== 'mixed-rand') return undefined;
  const rng = auditStream({
    seed: ctx.seed,
    repetition: ctx.repetition,
    split: ctx.split,
    position: index,
    purpose: variant === 'mixed-same' ? 'donor-same' : 'donor-rand',
  });
  return variant === 'mixed-same' ? ctx.classes.sameClassDonor(index, rng) : ctx.classes.otherClassDonor(index, rng);
}

/** One image under a variant; `donor` is the eval item chooseDonor named (mixed variants only). */
export function renderVariant(
  variant: ImageVariant,
  item: EvalItem,
  ctx: RenderContext,
  donor?: EvalItem,
): { image: Float32Array; draw: ItemDraw } {
  const draw: ItemDraw = { image: item.index };
  switch (variant) {
    case 'clean':
      return { image: item.image, draw };
    case 'swapped': {
      const rng = auditStream({
        seed: ctx.seed,
        repetition: ctx.repetition,
        split: ctx.split,
        position: item.index,
        purpose: 'background',
      });
      const bg = drawBackground(ctx.backgrounds, ctx.conv, ctx.ranges, rng);
      draw.background = bg.draw;
      return { image: compositeBackground(item.image, item.mask, bg.image), draw };
    }
    case 'only-fg': {
      const flat = new Float32Array(item.image.length);
      for (let p = 0; p < flat.length; p += 3) flat.set(ctx.flat, p);
      return { image: compositeBackground(item.image, item.mask, flat), draw };
    }
    case 'only-bg':
      return { image: removeObject(item.image, item.mask, item.size, ctx.hole, ctx.flat).image, draw };
    case 'mixed-same':
    case 'mixed-rand': {
      if (!donor) throw new Error(`${variant}: image ${item.index} needs its donor item`);
      draw.donor = donor.index;
      const background = removeObject(donor.image, donor.mask, donor.size, ctx.hole, ctx.flat).image;
      return { image: compositeBackground(item.image, item.mask, background), draw };
    }
    default:
      throw new Error(`unknown image variant ${JSON.stringify(variant)}`);
  }
}
