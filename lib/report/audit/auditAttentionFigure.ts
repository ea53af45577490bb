/**
 * The audit's attention figure: per row the eval-cropped image, its SmoothGrad map in viridis over
 * the greyed image, and the object's soft mask, so one sees whether the model looks at the object.
 */
import sharp from 'sharp';
import { viridis } from '../colormap';
import { htmlEscape } from '../tableModel';

export interface AuditFigureRow {
  /** size*size*3 RGB bytes. */
  image: Uint8Array;
  /** Attention in [0, 1], size*size. */
  map: Float32Array;
  /** Soft mask in [0, 1], size*size. */
  mask: Float32Array;
  size: number;
}

const PAD = 4;
const HEADER = 24;

async function scaled(rgb: Uint8Array, size: number, cell: number): Promise<Buffer> {
  return sharp(Buffer.from(rgb), { raw: { width: size, height: size, channels: 3 } })
    .resize(cell, cell, { fit: 'fill', kernel: 'nearest' })
    .raw()
    .toBuffer();
}

export async function renderAuditAttentionFigure(rows: readonly AuditFigureRow[], cellSize = 160): Promise<Buffer> {
  if (rows.length === 0) throw new Error('renderAuditAttentionFigure: no rows');
  rows.forEach((r, k) => {
    const n = r.size * r.size;
    if (r.image.length !== n * 3 || r.map.length !== n || r.mask.length !== n)
      throw new Error(`audit attention figure row ${k}: image, map and mask do not all fit ${r.size}x${r.size}`);
  });
  const cell = cellSize;
  const width = 3 * cell + 4 * PAD;
  const height = HEADER + rows.length * (cell + PAD) + PAD;
  const canvas = Buffer.alloc(width * height * 3, 255);
  const blit = (panel: Buffer, x0: number, y0: number) => {
    for (let y = 0; y < cell; y++) panel.copy(canvas, ((y0 + y) * width + x0) * 3, y * cell * 3, (y + 1) * cell * 3);
  };
  for (const [k, r] of rows.entries()) {
    const n = r.size * r.size;
    const overlay = new Uint8Array(n * 3);
    const mask = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      const grey = 96 + 0.5 * (0.299 * r.image[i * 3] + 0.587 * r.image[i * 3 + 1] + 0.114 * r.image[i * 3 + 2]);
      const c = viridis(r.map[i]);
      for (let ch = 0; ch < 3; ch++) {
        overlay[i * 3 + ch] = Math.round(Math.min(255, Math.max(0, 0.7 * c[ch] + 0.3 * grey)));
        mask[i * 3 + ch] = Math.round(Math.min(1, Math.max(0, r.mask[i])) * 255);
      }
    }
    const y0 = HEADER + PAD + k * (cell + PAD);
    blit(await scaled(r.image, r.size, cell), PAD, y0);
    blit(await scaled(overlay, r.size, cell), PAD * 2 + cell, y0);
    blit(await scaled(mask, r.size, cell), PAD * 3 + 2 * cell, y0);
  }
  const headers = ['image', 'attention', 'object mask'];
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEADER}">` +
    headers
      .map(
        (h, col) =>
          `<text x="${PAD + col * (cell + PAD) + cell / 2}" y="${HEADER - 7}" text-anchor="middle" ` +
          `font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="14" fill="#222">${htmlEscape(h)}</text>`,
      )
      .join('') +
    '</svg>';
  return sharp(canvas, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
}
