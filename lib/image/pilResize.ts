/**
 * Bit-exact port of Pillow's 8-bit two-pass resampling (Image.resize with BILINEAR or LANCZOS): the
 * resizes the reference runs on PIL images (torchvision Resize / resized_crop on PIL input: bilinear;
 * rembg's u2net pre- and post-processing: Lanczos).
 *
 * Why a port instead of sharp: the reference resizes uint8 PIL images with Pillow's "support-scaled
 * triangle" filter (antialiased when downscaling), in fixed point (22 fractional bits), horizontal
 * pass first, with an 8-bit rounded intermediate image. libvips' linear kernel differs in rounding
 * and in its intermediate precision, so its output is off by a grey level here and there. This port
 * reproduces Pillow's integer arithmetic exactly (0 grey levels of difference on the golden fixtures),
 * and runs synchronously on typed arrays, with no async overhead per small image.
 *
 * Source semantics: Pillow src/libImaging/Resample.c (precompute_coeffs, normalize_coeffs_8bpc,
 * ImagingResampleHorizontal_8bpc / Vertical_8bpc, ImagingResampleInner), unchanged since Pillow 4.
 */

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** A rectangle of a source image, in pixels (Pillow's crop box, already inside the image). */
export interface PixelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

interface Coefficients {
  /** Per output pixel: first input index and number of taps. */
  first: Int32Array;
  count: Int32Array;
  /** Fixed-point weights, ksize per output pixel. */
  weights: Int32Array;
  ksize: number;
}

export type PilFilter = 'bilinear' | 'lanczos';

/** Pillow's filters: support radius and kernel (bilinear = triangle, lanczos = 3-lobe sinc window). */
const FILTERS: Record<PilFilter, { support: number; kernel: (x: number) => number }> = {
  bilinear: {
    support: 1,
    kernel: (x) => {
      const a = x < 0 ? -x : x;
      return a < 1 ? 1 - a : 0;
    },
  },
  lanczos: { support: 3, kernel: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc. */
function coefficients(inSize: number, outSize: number, filter: PilFilter): Coefficients {
  const { support: baseSupport, kernel } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = baseSupport * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1.0 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero; negative starts are then clamped to 0.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = kernel((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? k[x] / ww : k[x];
      weights[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { first, count, weights, ksize };
}

function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resizes the `box` region of an interleaved uint8 image (1 or 3 channels) to outW x outH exactly as
 * Pillow does for `img.crop(box).resize((outW, outH), filter)` (default Image.BILINEAR).
 */
export function pilResizeBox(
  src: Uint8Array,
  srcWidth: number,
  srcHeight: number,
  channels: number,
  box: PixelBox,
  outW: number,
  outH: number,
  filter: PilFilter = 'bilinear',
): Uint8Array {
  if (channels !== 1 && channels !== 3) throw new Error(`pilResizeBox: channels must be 1 or 3, got ${channels}`);
  if (src.length !== srcWidth * srcHeight * channels) {
    throw new Error(`pilResizeBox: data length ${src.length} != ${srcWidth}x${srcHeight}x${channels}`);
  }
  const { left, top, width, height } = box;
  if (
    !(
      Number.isInteger(left) &&
      Number.isInteger(top) &&
      width >= 1 &&
      height >= 1 &&
      left >= 0 &&
      top >= 0 &&
      left + width <= srcWidth &&
      top + height <= srcHeight
    )
  ) {
    throw new Error(`pilResizeBox: box ${JSON.stringify(box)} is not inside the ${srcWidth}x${srcHeight} image`);
  }
  if (!(Number.isInteger(outW) && Number.isInteger(outH) && outW >= 1 && outH >= 1)) {
    throw new Error(`pilResizeBox: invalid output size ${outW}x${outH}`);
  }
  const vert = coefficients(height, outH, filter);
  // Rows of the (cropped) input that the vertical pass reads.
  const yFirst = vert.first[0];
  const yLast = vert.first[outH - 1] + vert.count[outH - 1];
  const rows = yLast - yFirst;

  // Horizontal pass into an 8-bit intermediate (Pillow rounds and clips here too).
  let temp: Uint8Array;
  let tempW: number;
  if (outW !== width) {
    const hor = coefficients(width, outW, filter);
    tempW = outW;
    temp = new Uint8Array(rows * outW * channels);
    const { first, count, weights, ksize } = hor;
    for (let r = 0; r < rows; r++) {
      const rowBase = ((top + yFirst + r) * srcWidth + left) * channels;
      const outBase = r * outW * channels;
      if (channels === 3) {
        for (let xx = 0; xx < outW; xx++) {
          const n = count[xx];
          const kb = xx * ksize;
          let p = rowBase + first[xx] * 3;
          let s0 = HALF,
            s1 = HALF,
            s2 = HALF;
          for (let x = 0; x < n; x++, p += 3) {
            const w = weights[kb + x];
            s0 += src[p] * w;
            s1 += src[p + 1] * w;
            s2 += src[p + 2] * w;
          }
          const o = outBase + xx * 3;
          temp[o] = clip8(s0);
          temp[o + 1] = clip8(s1);
          temp[o + 2] = clip8(s2);
        }
      } else {
        for (let xx = 0; xx < outW; xx++) {
          const n = count[xx];
          const kb = xx * ksize;
          const p0 = rowBase + first[xx];
          let s0 = HALF;
          for (let x = 0; x < n; x++) s0 += src[p0 + x] * weights[kb + x];
          temp[outBase + xx] = clip8(s0);
        }
      }
    }
  } else {
    // No horizontal resampling: the intermediate is just the needed rows of the crop.
    tempW = width;
    temp = new Uint8Array(rows * width * channels);
    for (let r = 0; r < rows; r++) {
      const s = ((top + yFirst + r) * srcWidth + left) * channels;
      temp.set(src.subarray(s, s + width * channels), r * width * channels);
    }
  }

  if (outH === height) return temp; // rows === height here: no vertical pass
  const out = new Uint8Array(outW * outH * channels);
  const { first, count, weights, ksize } = vert;
  const stride = tempW * channels;
  for (let yy = 0; yy < outH; yy++) {
    const n = count[yy];
    const kb = yy * ksize;
    const base = (first[yy] - yFirst) * stride;
    const outBase = yy * stride;
    for (let i = 0; i < stride; i++) {
      let s = HALF;
      let p = base + i;
      for (let y = 0; y < n; y++, p += stride) s += temp[p] * weights[kb + y];
      out[outBase + i] = clip8(s);
    }
  }
  return out;
}

/** Interleaved 8-bit pixels, row-major. */
export interface PixelBuffer {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The whole image resized like PIL's `Image.resize((outW, outH), filter)`. */
export function pilResize(
  img: PixelBuffer,
  channels: number,
  outW: number,
  outH: number,
  filter: PilFilter,
): Uint8Array {
  return pilResizeBox(
    img.data,
    img.width,
    img.height,
    channels,
    { left: 0, top: 0, width: img.width, height: img.height },
    outW,
    outH,
    filter,
  );
}
