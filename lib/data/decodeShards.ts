import sharp from 'sharp';
import type { GrayImage, RgbImage } from '../image/types';

/** A dataset image decoded for training: pixels, soft mask and label. */
export interface DecodedItem {
  id: string;
  label: number;
  image: RgbImage;
  mask: GrayImage;
}

export async function decodeRgb(buf: Buffer, source: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(buf)
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw new Error(`${source}: unreadable image (${(err as Error).message})`, { cause: err });
  }
}

export async function decodeGray(buf: Buffer, source: string): Promise<GrayImage> {
  try {
    const { data, info } = await sharp(buf).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw new Error(`${source}: unreadable mask (${(err as Error).message})`, { cause: err });
  }
}
