/**
 * The qualitative attention figure (paper Section 6): per row a test image, the base model's attention
 * map and the BGAugment model's map, each map in viridis laid over the greyed image so one sees where
 * on the picture the model looks.
 */
import sharp from 'sharp';
import type { RgbImage } from '../image/types';
import { viridis } from './colormap';
import { htmlEscape } from './tableModel';

export interface AttentionFigureRow {
  image: RgbImage;
  /** Attention in [0, 1], size x size, row-major. */
  baseMap: Float32Array;
  bgaugmentMap: Float32Array;
  size: number;
}

export interface AttentionFigureOptions {
  /** Side of each panel in pixels (default: max(size, 160)). */
  cellSize?: number;
  /** Overlay the map on the greyed image (default true); false shows the bare map. */
  overlay?: boolean;
  /** Weight of the map in the overlay (default 0.7). */
  alpha?: number;
  /** Column titles; null for none. */
  headers?: [string, string, string] | null;
}

const PAD = 4;
const HEADER = 24;

async function resizeRgb(data: Uint8Array, w: number, h: number, tw: number, th: number): Promise<Buffer> {
  return sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .resize(tw, th, { fit: 'fill' })
    .raw()
    .toBuffer();
}

function mapPanel(map: Float32Array, grey: Uint8Array, size: number, overlay: boolean, alpha: number): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const c = viridis(map[i]);
    for (let k = 0; k < 3; k++) {
      const v = overlay ? alpha * c[k] + (1 - alpha) * grey[i] : c[k];
      out[i * 3 + k] = Math.round(Math.min(255, Math.max(0, v)));
    }
  }
  return out;
}

export async function renderAttentionFigure(
  rows: readonly AttentionFigureRow[],
  opts: AttentionFigureOptions = {},
): Promise<Buffer> {
  if (rows.length === 0) throw new Error('renderAttentionFigure: no rows');
  const overlay = opts.overlay ?? true;
  const alpha = opts.alpha ?? 0.7;
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`renderAttentionFigure: alpha ${alpha} must be in [0, 1]`);
  const headers =
    opts.headers === undefined ? (['image', 'base', 'BGAugment'] as [string, string, string]) : opts.headers;
  rows.forEach((r, k) => {
    if (!Number.isInteger(r.size) || r.size < 1) throw new Error(`attention figure row ${k}: invalid size ${r.size}`);
    for (const [name, m] of [
      ['baseMap', r.baseMap],
      ['bgaugmentMap', r.bgaugmentMap],
    ] as const) {
      if (m.length !== r.size * r.size)
        throw new Error(`attention figure row ${k}: ${name} has ${m.length} values, expected ${r.size}x${r.size}`);
    }
    if (r.image.data.length !== r.image.width * r.image.height * 3)
      throw new Error(
        `attention figure row ${k}: image data length does not match ${r.image.width}x${r.image.height}x3`,
      );
  });
  const cell = opts.cellSize ?? Math.max(160, ...rows.map((r) => r.size));
  const top = headers ? HEADER : 0;
  const width = 3 * cell + 4 * PAD;
  const height = top + rows.length * (cell + PAD) + PAD;
  const canvas = Buffer.alloc(width * height * 3, 255);
  const blit = (panel: Buffer, x0: number, y0: number) => {
    for (let y = 0; y < cell; y++) panel.copy(canvas, ((y0 + y) * width + x0) * 3, y * cell * 3, (y + 1) * cell * 3);
  };
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    const small = await resizeRgb(r.image.data, r.image.width, r.image.height, r.size, r.size);
    const grey = new Uint8Array(r.size * r.size);
    // a light, low-contrast grey so the colour map stays readable on top of it
    for (let i = 0; i < grey.length; i++)
      grey[i] = Math.round(96 + 0.5 * (0.299 * small[i * 3] + 0.587 * small[i * 3 + 1] + 0.114 * small[i * 3 + 2]));
    const panels = [
      await resizeRgb(r.image.data, r.image.width, r.image.height, cell, cell),
      await resizeRgb(mapPanel(r.baseMap, grey, r.size, overlay, alpha), r.size, r.size, cell, cell),
      await resizeRgb(mapPanel(r.bgaugmentMap, grey, r.size, overlay, alpha), r.size, r.size, cell, cell),
    ];
    panels.forEach((p, col) => blit(p, PAD + col * (cell + PAD), top + PAD + k * (cell + PAD)));
  }
  let img = sharp(canvas, { raw: { width, height, channels: 3 } });
  if (headers) {
    const texts = headers.map(
      (h, col) =>
        `<text x="${PAD + col * (cell + PAD) + cell / 2}" y="${HEADER - 7}" text-anchor="middle" ` +
        `font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="14" ` +
        `fill="#222">${htmlEscape(h)}</text>`,
    );
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEADER}">${texts.join('')}</svg>`;
    img = sharp(
      await img
        .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
        .png()
        .toBuffer(),
    );
  }
  return img.png().toBuffer();
}
