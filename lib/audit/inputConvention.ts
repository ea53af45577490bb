/**
 * The input convention of a model under audit: how the pixels of a decoded RGB image become the
 * numbers the model expects. Given by flags or a JSON sidecar (zod-validated; every bad field is
 * named) and recorded with the results, because the same weights give other embeddings under
 * another convention.
 *
 *   x = pixel value: range '0-1' -> v/255 (torchvision ToTensor), '0-255' -> (v/255)*255 in float32
 *       (ToTensor then x255, as the paper's reference does: within one float32 ulp of v)
 *   y_c = (x_c - mean_c) / std_c, channels in the model's order (rgb or bgr), mean/std in that order
 *       and in the range's units
 *   layout nhwc or nchw: applied by the model adapter at the model's boundary; every audit image
 *       (eval items, backgrounds, fills, composites) is HWC in the model's channel space until then.
 *
 * Geometry is the paper's eval transform: shorter side to `resizeShort` (Pillow bilinear), centre crop
 * `size` x `size`. Compositing (x*m + bg*(1-m)) commutes with the per-channel affine map above, so
 * composites made in the model's space are the composites of the pixel images, mapped.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { TransformConfig } from '../ml/transforms/pipeline';

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const positive = z.number().refine((v) => Number.isFinite(v) && v > 0, 'expected a positive number');
const triple = <T extends z.ZodType>(t: T) => z.tuple([t, t, t]);

export const InputConventionSchema = z.strictObject({
  /** Side of the square input crop. */
  size: z.number().int().positive(),
  /** Shorter side after the first resize, >= size (default round(size * 8 / 7): 256 for 224). */
  resizeShort: z.number().int().positive().optional(),
  /** Channel order of the model's input. */
  channels: z.enum(['rgb', 'bgr']),
  /** Pixel range before mean/std. */
  range: z.enum(['0-1', '0-255']),
  /** Subtracted per channel (model's channel order, range units). */
  mean: triple(finite).default([0, 0, 0]),
  /** Divided per channel after the mean. */
  std: triple(positive).default([1, 1, 1]),
  layout: z.enum(['nhwc', 'nchw']).default('nhwc'),
  /** L2-normalise the model's output rows (then Euclidean ranking = cosine ranking). */
  l2Normalize: z.boolean().default(true),
  /** Graph/ONNX models with several inputs or outputs: which ones (default: the first). */
  inputName: z.string().min(1).optional(),
  outputName: z.string().min(1).optional(),
});

export type InputConventionInput = z.input<typeof InputConventionSchema>;
/** A validated convention with every default filled in (what is recorded with results). */
export type InputConvention = Omit<z.output<typeof InputConventionSchema>, 'resizeShort'> & { resizeShort: number };

/** A bad convention: names where it came from and every bad field. */
export class InvalidInputConventionError extends Error {
  override readonly name = 'InvalidInputConventionError';
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`${source}: invalid input convention:\n  - ${issues.join('\n  - ')}`);
  }
}

/** Validates a convention object; `source` (a file, "flags") goes into the error. */
export function parseInputConvention(value: unknown, source: string): InputConvention {
  const parsed = InputConventionSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidInputConventionError(
      source,
      parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(convention)'}: ${i.message}`),
    );
  }
  const c = parsed.data;
  const resizeShort = c.resizeShort ?? Math.round((c.size * 8) / 7);
  if (resizeShort < c.size) {
    throw new InvalidInputConventionError(source, [`resizeShort: ${resizeShort} is smaller than size ${c.size}`]);
  }
  return { ...c, resizeShort };
}

/** Reads a JSON sidecar file (e.g. `model.input.json`). */
export async function readInputConvention(path: string): Promise<InputConvention> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the input convention ${path}: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return parseInputConvention(value, path);
}

/** Where a model's sidecar is looked for: `<model file without extension>.input.json`. */
export function sidecarPath(modelFile: string): string {
  return modelFile.replace(/\.(json|onnx)$/i, '') + '.input.json';
}

/**
 * From command-line flags (strings): numbers as numbers, `a,b,c` triples, `true`/`false`. Unknown and
 * bad flags are reported by the schema like sidecar fields. Flags left undefined are omitted.
 */
export function conventionFromFlags(flags: Record<string, string | undefined>, source = 'flags'): InputConvention {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(flags)) {
    if (raw === undefined) continue;
    if (key === 'mean' || key === 'std') out[key] = raw.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
    else if (key === 'size' || key === 'resizeShort') out[key] = raw.trim() === '' ? NaN : Number(raw);
    else if (key === 'l2Normalize') out[key] = raw === 'true' ? true : raw === 'false' ? false : raw;
    else out[key] = raw;
  }
  return parseInputConvention(out, source);
}

/** The convention of a bgbias-trained model: the paper's eval transform (BGR, 0..255 minus the mean). */
export function paperConvention(cfg: Pick<TransformConfig, 'crop' | 'resizeShort' | 'mean'>): InputConvention {
  return parseInputConvention(
    {
      size: cfg.crop,
      resizeShort: cfg.resizeShort,
      channels: 'bgr',
      range: '0-255',
      mean: [...cfg.mean],
      std: [1, 1, 1],
      layout: 'nhwc',
      // The model normalises its own output already.
      l2Normalize: false,
    },
    'bgbias model',
  );
}

/** v/255 then x255, both in float32 (ToTensor then x255): the reference's 0..255 values. */
const X255 = Float32Array.from({ length: 256 }, (_, v) => Math.fround(Math.fround(v / 255) * 255));
const X1 = Float32Array.from({ length: 256 }, (_, v) => Math.fround(v / 255));

/** Per model channel c: the RGB byte it reads (0 = R, 2 = B). */
function sourceChannel(conv: InputConvention): [number, number, number] {
  return conv.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
}

/** RGB bytes (HWC) -> float32 HWC in the model's channel space. */
export function toModelSpace(rgb: Uint8Array, conv: InputConvention): Float32Array {
  if (rgb.length % 3 !== 0) throw new Error(`toModelSpace: ${rgb.length} bytes is not a multiple of 3 (RGB)`);
  const table = conv.range === '0-1' ? X1 : X255;
  const src = sourceChannel(conv);
  const out = new Float32Array(rgb.length);
  for (let p = 0; p < rgb.length; p += 3) {
    for (let c = 0; c < 3; c++) out[p + c] = (table[rgb[p + src[c]]] - conv.mean[c]) / conv.std[c];
  }
  return out;
}

/** A colour given as RGB on the 0..255 scale (need not be integers) in the model's channel space. */
export function colourInModelSpace(rgb: readonly [number, number, number], conv: InputConvention): Float32Array {
  const src = sourceChannel(conv);
  const scale = conv.range === '0-1' ? 1 / 255 : 1;
  return Float32Array.from([0, 1, 2], (c) => (rgb[src[c]] * scale - conv.mean[c]) / conv.std[c]);
}

/** NHWC batch -> the model's layout (a copy for nchw, the same array for nhwc). */
export function toLayout(
  batch: Float32Array,
  n: number,
  size: number,
  layout: InputConvention['layout'],
): Float32Array {
  if (batch.length !== n * size * size * 3) {
    throw new Error(`toLayout: ${batch.length} values, expected ${n} x ${size} x ${size} x 3`);
  }
  if (layout === 'nhwc') return batch;
  const plane = size * size;
  const out = new Float32Array(batch.length);
  for (let b = 0; b < n; b++) {
    const o = b * plane * 3;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) out[o + c * plane + p] = batch[o + p * 3 + c];
    }
  }
  return out;
}
