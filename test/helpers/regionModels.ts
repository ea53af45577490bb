/**
 * Hand-made audit models whose behaviour is known: each embeds an image as the mean colour of four
 * fixed regions. The "background" model reads only pixels outside the object box of
 * test/helpers/auditImages.ts, the "object" model only pixels inside it.
 */
import { parseInputConvention } from '../../lib/audit/inputConvention';
import type { AuditModel } from '../../lib/audit/models/auditModel';
import { BOX, SIZE } from './auditImages';

type Region = { rows: [number, number]; cols: [number, number] };

const OUTSIDE: Region[] = [
  { rows: [0, BOX.top], cols: [0, SIZE] },
  { rows: [BOX.bottom, SIZE], cols: [0, SIZE] },
  { rows: [BOX.top, BOX.bottom], cols: [0, BOX.left] },
  { rows: [BOX.top, BOX.bottom], cols: [BOX.right, SIZE] },
];
const midY = (BOX.top + BOX.bottom) / 2;
const midX = (BOX.left + BOX.right) / 2;
const INSIDE: Region[] = [
  { rows: [BOX.top, midY], cols: [BOX.left, midX] },
  { rows: [BOX.top, midY], cols: [midX, BOX.right] },
  { rows: [midY, BOX.bottom], cols: [BOX.left, midX] },
  { rows: [midY, BOX.bottom], cols: [midX, BOX.right] },
];

/** RGB 0..255, no mean/std: the hand-made models read colours directly. */
export const REGION_CONVENTION = parseInputConvention(
  { size: SIZE, resizeShort: SIZE, channels: 'rgb', range: '0-255', l2Normalize: false },
  'region models',
);

function regionModel(kind: 'background' | 'object', regions: Region[]): AuditModel {
  const dim = regions.length * 3;
  return {
    kind: 'bgbias',
    source: `${kind} region model`,
    convention: REGION_CONVENTION,
    embeddingSize: dim,
    attribution: { available: false, reason: 'hand-made test model' },
    async embed(images: Float32Array, n: number): Promise<Float32Array> {
      const out = new Float32Array(n * dim);
      const px = SIZE * SIZE * 3;
      for (let b = 0; b < n; b++) {
        regions.forEach((r, k) => {
          const sum = [0, 0, 0];
          let count = 0;
          for (let y = r.rows[0]; y < r.rows[1]; y++) {
            for (let x = r.cols[0]; x < r.cols[1]; x++) {
              for (let c = 0; c < 3; c++) sum[c] += images[b * px + (y * SIZE + x) * 3 + c];
              count++;
            }
          }
          for (let c = 0; c < 3; c++) out[b * dim + k * 3 + c] = sum[c] / count / 255;
        });
      }
      return out;
    },
    async dispose() {},
  };
}

export const backgroundModel = () => regionModel('background', OUTSIDE);
export const objectModel = () => regionModel('object', INSIDE);
