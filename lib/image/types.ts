/** Decoded pixels, row-major, channels interleaved. Shared by datasets, masks and transforms. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** width*height*3 bytes, RGB order. */
  readonly data: Uint8Array;
}

/** A single-channel 8-bit image: soft masks (0..255) and greyscale. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  /** width*height bytes. */
  readonly data: Uint8Array;
}
