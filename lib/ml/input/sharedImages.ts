/**
 * A list of RGB images in one SharedArrayBuffer, so every worker thread of the input pool reads the
 * same bytes (the background pools: one copy in memory, not one per thread) without a copy at start.
 */
import type { RgbImage } from '../../image/types';

export interface SharedImages {
  buffer: SharedArrayBuffer;
  /** Per image: width, height, byte offset in `buffer`. */
  layout: Array<{ width: number; height: number; offset: number }>;
}

export function shareImages(images: readonly RgbImage[]): SharedImages {
  let bytes = 0;
  for (const img of images) {
    if (img.data.length !== img.width * img.height * 3) {
      throw new Error(`shareImages: an image of ${img.width}x${img.height} has ${img.data.length} bytes, not RGB`);
    }
    bytes += img.data.length;
  }
  const buffer = new SharedArrayBuffer(bytes);
  const all = new Uint8Array(buffer);
  const layout: SharedImages['layout'] = [];
  let offset = 0;
  for (const img of images) {
    all.set(img.data, offset);
    layout.push({ width: img.width, height: img.height, offset });
    offset += img.data.length;
  }
  return { buffer, layout };
}

/** Views of the shared bytes (no copy). */
export function sharedImageViews(shared: SharedImages): RgbImage[] {
  return shared.layout.map(({ width, height, offset }) => ({
    width,
    height,
    data: new Uint8Array(shared.buffer, offset, width * height * 3),
  }));
}
