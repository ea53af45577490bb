/**
 * Removing the object from an image (only-BG, and the donor backgrounds of mixed-same / mixed-rand):
 * ImageNet-9's Only-BG-T and Only-BG-B (Xiao et al., ICLR 2021), adapted to soft masks.
 *
 * 1. Object box B: the smallest axis-aligned box holding every pixel with mask >= 0.5 (the
 *    binarisation threshold of the mask-quality check, 128/255). Hiding the whole box, not only the
 *    silhouette, keeps the object's shape from leaking into the "background only" image.
 * 2. Hole h: 1 inside B, the soft mask outside it (h = max(m, [in B])), so mask fringe that spills
 *    past the box is removed in proportion to its mask value.
 * 3. Fill T, rule 'tile' (default, Only-BG-T): the largest of the four full-extent strips of the image
 *    outside B (rows above, rows below, columns left, columns right; ties in that order) is repeated
 *    over the whole image by mirror tiling (numpy.pad mode 'symmetric'), starting at the box edge, so
 *    the background continues across the edge without a seam; T equals the image on the strip.
 *    Rule 'flat' (Only-BG-B with a chosen colour): T = the flat fill colour everywhere.
 * 4. Result: T*h + x*(1-h), the compositing formula of the swap with T pasted where the object was.
 * Edge cases: no pixel reaches 0.5 (no object found): h = m and T = x, the image is unchanged. B is the
 * whole image (no strip left): T falls back to the flat colour and the record says so.
 */
import { compositeBackground } from '../ml/transforms/composite';

export type HoleFillRule = 'tile' | 'flat';

/** Rows [top, bottom) x columns [left, right). */
export interface ObjectBox {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

export type FillSource = 'strip-above' | 'strip-below' | 'strip-left' | 'strip-right' | 'flat' | 'none';

export interface HoleRecord {
  box: ObjectBox | null;
  source: FillSource;
}

export const OBJECT_THRESHOLD = 0.5;

/** The box of mask >= 0.5 pixels of a size x size mask, or null when there are none. */
export function objectBox(mask: Float32Array, size: number): ObjectBox | null {
  let top = size,
    left = size,
    bottom = -1,
    right = -1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (mask[y * size + x] >= OBJECT_THRESHOLD) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  return bottom < 0 ? null : { top, left, bottom: bottom + 1, right: right + 1 };
}

/** numpy.pad 'symmetric' index: position p of an axis whose strip is [lo, hi), mirrored outward. */
function mirror(p: number, lo: number, hi: number): number {
  const len = hi - lo;
  if (p >= lo && p < hi) return p;
  const t = p >= hi ? p - hi : lo - 1 - p; // steps past the strip's edge (0 = first pixel outside)
  const u = t % (2 * len);
  if (p >= hi) return u < len ? hi - 1 - u : lo + (u - len);
  return u < len ? lo + u : hi - 1 - (u - len);
}

function chooseStrip(box: ObjectBox, size: number): FillSource {
  const areas: Array<[FillSource, number]> = [
    ['strip-above', box.top * size],
    ['strip-below', (size - box.bottom) * size],
    ['strip-left', box.left * size],
    ['strip-right', (size - box.right) * size],
  ];
  let best: [FillSource, number] = ['flat', 0];
  for (const a of areas) if (a[1] > best[1]) best = a;
  return best[0];
}

/** The fill image T for `source` (HWC, same channels as the image). */
function fillImage(
  image: Float32Array,
  size: number,
  box: ObjectBox,
  source: FillSource,
  flat: Float32Array,
): Float32Array {
  const channels = image.length / (size * size);
  const out = new Float32Array(image.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let sy = y,
        sx = x;
      if (source === 'strip-above') sy = mirror(y, 0, box.top);
      else if (source === 'strip-below') sy = mirror(y, box.bottom, size);
      else if (source === 'strip-left') sx = mirror(x, 0, box.left);
      else if (source === 'strip-right') sx = mirror(x, box.right, size);
      const o = (y * size + x) * channels;
      const s = (sy * size + sx) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = source === 'flat' ? flat[c] : image[s + c];
    }
  }
  return out;
}

/**
 * The image with its object removed. image: size*size*C (HWC), mask: size*size in [0, 1], flat: the
 * fill colour in the image's space (C values).
 */
export function removeObject(
  image: Float32Array,
  mask: Float32Array,
  size: number,
  rule: HoleFillRule,
  flat: Float32Array,
): { image: Float32Array; record: HoleRecord } {
  if (mask.length !== size * size)
    throw new Error(`removeObject: mask has ${mask.length} values, expected ${size}x${size}`);
  if (image.length % mask.length !== 0 || image.length / mask.length !== flat.length) {
    throw new Error(`removeObject: image of ${image.length} values, mask ${mask.length}, fill colour ${flat.length}`);
  }
  if (rule !== 'tile' && rule !== 'flat')
    throw new Error(`removeObject: hole fill rule must be 'tile' or 'flat', got ${rule}`);
  const box = objectBox(mask, size);
  if (!box) return { image: image.slice(), record: { box: null, source: 'none' } };
  const source: FillSource = rule === 'flat' ? 'flat' : chooseStrip(box, size);
  const hole = new Float32Array(mask.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = y * size + x;
      const inBox = y >= box.top && y < box.bottom && x >= box.left && x < box.right;
      hole[p] = inBox ? 1 : mask[p];
    }
  }
  const fill = fillImage(image, size, box, source, flat);
  return { image: compositeBackground(fill, hole, image), record: { box, source } };
}
