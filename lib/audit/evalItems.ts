/**
 * Evaluation items of an audit: each test image after the eval transform (shorter side to
 * `resizeShort`, Pillow bilinear; centre crop `size`) in the model's channel space, with its soft mask
 * under the same geometry in [0, 1]. For the paper's convention these are exactly the pixels and
 * masks of lib/ml/transforms/pipeline.ts evalTransform (the unit test checks it).
 */
import type { DecodedItem } from '../data/decodeShards';
import { centerCropBox, resizeShorterSide } from '../ml/transforms/pipeline';
import type { PixelBox } from '../image/pilResize';
import { toModelSpace, type InputConvention } from './inputConvention';

export interface EvalItem {
  /** Position in the split: the image's identity (self-exclusion, stream keys, draw records). */
  index: number;
  label: number;
  /** size*size*3, HWC, the model's channel space. */
  image: Float32Array;
  /** size*size in [0, 1]. */
  mask: Float32Array;
  size: number;
}

/** What an audit reads images from: a prepared split (SplitData satisfies it) or an array in tests. */
export interface AuditItemSource {
  readonly length: number;
  readonly labels: Int32Array;
  getMany(indices: readonly number[]): Promise<DecodedItem[]>;
}

export function copyBox(src: Uint8Array, srcWidth: number, channels: number, box: PixelBox): Uint8Array {
  const out = new Uint8Array(box.width * box.height * channels);
  const rowLen = box.width * channels;
  for (let r = 0; r < box.height; r++) {
    const s = ((box.top + r) * srcWidth + box.left) * channels;
    out.set(src.subarray(s, s + rowLen), r * rowLen);
  }
  return out;
}

export function toEvalItem(item: DecodedItem, index: number, conv: InputConvention): EvalItem {
  if (item.mask.width !== item.image.width || item.mask.height !== item.image.height) {
    throw new Error(
      `${item.id}: mask is ${item.mask.width}x${item.mask.height} but the image is ${item.image.width}x${item.image.height}`,
    );
  }
  const image = resizeShorterSide(item.image, conv.resizeShort, 3);
  const mask = resizeShorterSide(item.mask, conv.resizeShort, 1);
  const box = centerCropBox(image.width, image.height, conv.size);
  const m = copyBox(mask.data, mask.width, 1, box);
  const unit = new Float32Array(m.length);
  for (let i = 0; i < m.length; i++) unit[i] = m[i] / 255;
  return {
    index,
    label: item.label,
    image: toModelSpace(copyBox(image.data, image.width, 3, box), conv),
    mask: unit,
    size: conv.size,
  };
}

/** Items of a source by index, eval-transformed. */
export async function evalItems(
  source: AuditItemSource,
  indices: readonly number[],
  conv: InputConvention,
): Promise<EvalItem[]> {
  const decoded = await source.getMany(indices);
  return decoded.map((d, k) => toEvalItem(d, indices[k], conv));
}
