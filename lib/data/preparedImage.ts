/**
 * How a prepared image (short side resized once, PIL-exact) is stored in a shard. The reference
 * decodes the original file at every access, so any loss here is a deviation from it; the table in
 * docs/prepared-images.md measures how large (scripts/fidelity/preparedDeviation.ts):
 *   'jpeg-420'  JPEG quality 95 with libjpeg's default 2x2 chroma subsampling (smallest, largest error)
 *   'jpeg-444'  JPEG quality 95 with full-resolution colour
 *   'png'       lossless: the decoded pixels are exactly the resized ones
 */
import sharp from 'sharp';
import type { RgbImage } from '../image/types';

export const PREPARED_FORMATS = ['jpeg-420', 'jpeg-444', 'png'] as const;
export type PreparedFormat = (typeof PREPARED_FORMATS)[number];

export const PREPARED_JPEG_QUALITY = 95;

export async function encodePreparedImage(img: RgbImage, format: PreparedFormat): Promise<Buffer> {
  if (img.data.length !== img.width * img.height * 3) {
    throw new Error(
      `encodePreparedImage: ${img.width}x${img.height}x3 needs ${img.width * img.height * 3} bytes, got ${img.data.length}`,
    );
  }
  const raw = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
    raw: { width: img.width, height: img.height, channels: 3 },
  });
  switch (format) {
    case 'jpeg-420':
      return raw.jpeg({ quality: PREPARED_JPEG_QUALITY, chromaSubsampling: '4:2:0' }).toBuffer();
    case 'jpeg-444':
      return raw.jpeg({ quality: PREPARED_JPEG_QUALITY, chromaSubsampling: '4:4:4' }).toBuffer();
    case 'png':
      return raw.png().toBuffer();
    default:
      throw new Error(
        `encodePreparedImage: unknown format ${JSON.stringify(format)} (expected ${PREPARED_FORMATS.join(', ')})`,
      );
  }
}
