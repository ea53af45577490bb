/**
 * PIL's 8-bit resampling (Pillow 9.x libImaging/Resample.c), reimplemented so our resizes give the
 * same bytes as the reference's: u2net's Lanczos resizes (rembg) and the prepared images' bilinear
 * Resize(256) (torchvision on PIL images). sharp's kernels differ from PIL's (other support
 * handling and rounding), so they are not used for these steps.
 *
 * PIL's method: separable, horizontal pass then vertical pass, each rounded to uint8; per output
 * pixel the filter is stretched by the downscale factor (antialiasing), normalised to sum 1, then
 * turned into 22-bit fixed point; accumulation starts at 0.5 (rounding) and is clipped to 0..255.
 */

export type PilFilter = 'bilinear' | 'lanczos';

const FILTERS: Record<PilFilter, { support: number; f: (x: number) => number }> = {
  bilinear: {
    support: 1,
    f: (x) => {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
  },
  lanczos: {
    support: 3,
    f: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0),
  },
};

function sinc(x: number): number {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
}

const PRECISION_BITS = 32 - 8 - 2;

interface Coeffs {
  ksize: number;
  bounds: Int32Array; // [xmin, count] per output pixel
  kk: Int32Array; // fixed-point weights, ksize per output pixel
}

function precompute(inSize: number, outSize: number, filter: PilFilter): Coeffs {
  const { support: baseSupport, f } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = baseSupport * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = f((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? k[x] / ww : k[x];
      // normalize_coeffs_8bpc: round half away from zero into fixed point
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(v: number): number {
  const s = v >> PRECISION_BITS;
  return s < 0 ? 0 : s > 255 ? 255 : s;
}

export interface PixelBuffer {
  width: number;
  height: number;
  /** Interleaved channels, row-major. */
  data: Uint8Array;
}

/** Resizes an interleaved 8-bit image with `channels` channels like PIL's Image.resize(size, filter). */
export function pilResize(img: PixelBuffer, channels: number, outW: number, outH: number, filter: PilFilter): Uint8Array {
  const { width: inW, height: inH, data } = img;
  if (data.length !== inW * inH * channels) throw new Error(`pilResize: buffer has ${data.length} bytes, expected ${inW}x${inH}x${channels}`);
  if (!(outW > 0 && outH > 0 && Number.isInteger(outW) && Number.isInteger(outH))) throw new Error(`pilResize: invalid output size ${outW}x${outH}`);
  if (outW === inW && outH === inH) return Uint8Array.from(data); // PIL returns a copy
  const half = 1 << (PRECISION_BITS - 1);
  let cur = data;
  let curW = inW;
  if (outW !== inW) {
    const c = precompute(inW, outW, filter);
    const tmp = new Uint8Array(outW * inH * channels);
    for (let y = 0; y < inH; y++) {
      const row = y * inW * channels;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = c.bounds[xx * 2];
        const n = c.bounds[xx * 2 + 1];
        const kOff = xx * c.ksize;
        for (let ch = 0; ch < channels; ch++) {
          let ss = half;
          for (let x = 0; x < n; x++) ss += data[row + (xmin + x) * channels + ch] * c.kk[kOff + x];
          tmp[(y * outW + xx) * channels + ch] = clip8(ss);
        }
      }
    }
    cur = tmp;
    curW = outW;
  }
  if (outH === inH) return cur === data ? Uint8Array.from(data) : cur;
  const c = precompute(inH, outH, filter);
  const out = new Uint8Array(curW * outH * channels);
  const stride = curW * channels;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = c.bounds[yy * 2];
    const n = c.bounds[yy * 2 + 1];
    const kOff = yy * c.ksize;
    for (let i = 0; i < stride; i++) {
      let ss = half;
      for (let y = 0; y < n; y++) ss += cur[(ymin + y) * stride + i] * c.kk[kOff + y];
      out[yy * stride + i] = clip8(ss);
    }
  }
  return out;
}

/** torchvision's Resize(size) output size for an int size: shorter side = size, longer truncated. */
export function shortSideSize(width: number, height: number, size: number): [number, number] {
  if (width <= height) return [size, Math.trunc((size * height) / width)];
  return [Math.trunc((size * width) / height), size];
}
