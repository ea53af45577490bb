/**
 * Generated images whose object region is known in advance, for the audit tests: every image is
 * SIZE x SIZE with the object filling the box BOX (soft mask = 1 there, 0 elsewhere). Each class has
 * its own background colour and its own object colour (like the smoke dataset's per-class settings),
 * each image adds its own seeded noise. The background pool holds random colour fields.
 */
import type { DecodedItem } from '../../lib/data/decodeShards';
import type { RgbImage } from '../../lib/image/types';
import type { AuditItemSource } from '../../lib/audit/evalItems';
import type { ObjectBox } from '../../lib/audit/holeFill';
import { Rng } from '../../lib/util/rng';

export const SIZE = 16;
export const BOX: ObjectBox = { top: 4, left: 4, bottom: 12, right: 12 };

export const inBox = (y: number, x: number) => y >= BOX.top && y < BOX.bottom && x >= BOX.left && x < BOX.right;

const BACKGROUND_COLOURS: Array<[number, number, number]> = [
  [200, 40, 40],
  [40, 200, 40],
  [40, 40, 200],
  [200, 200, 40],
];
const OBJECT_COLOURS: Array<[number, number, number]> = [
  [60, 180, 180],
  [180, 60, 180],
  [180, 180, 60],
  [90, 90, 90],
];

const clampByte = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

export function knownBoxItems(perClass = 5, classes = 4, seed = 'audit-items'): DecodedItem[] {
  const rng = Rng.fromSeed(seed);
  const items: DecodedItem[] = [];
  for (let c = 0; c < classes; c++) {
    for (let k = 0; k < perClass; k++) {
      const data = new Uint8Array(SIZE * SIZE * 3);
      const mask = new Uint8Array(SIZE * SIZE);
      const bgShift = [0, 1, 2].map(() => rng.uniformIn(-25, 25));
      const objShift = [0, 1, 2].map(() => rng.uniformIn(-25, 25));
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const p = y * SIZE + x;
          const obj = inBox(y, x);
          mask[p] = obj ? 255 : 0;
          const base = obj ? OBJECT_COLOURS[c] : BACKGROUND_COLOURS[c];
          const shift = obj ? objShift : bgShift;
          for (let ch = 0; ch < 3; ch++) data[p * 3 + ch] = clampByte(base[ch] + shift[ch] + rng.uniformIn(-10, 10));
        }
      }
      items.push({
        id: `c${c}-${k}`,
        label: c,
        image: { width: SIZE, height: SIZE, data },
        mask: { width: SIZE, height: SIZE, data: mask },
      });
    }
  }
  return items;
}

/** Random colour fields (one random colour per 4x4 block), larger than SIZE so crops vary. */
export function randomBackgrounds(count = 12, side = 24, seed = 'audit-backgrounds'): RgbImage[] {
  const rng = Rng.fromSeed(seed);
  return Array.from({ length: count }, () => {
    const data = new Uint8Array(side * side * 3);
    const blocks = new Map<string, number[]>();
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const key = `${y >> 2},${x >> 2}`;
        if (!blocks.has(key)) blocks.set(key, [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)]);
        data.set(blocks.get(key)!, (y * side + x) * 3);
      }
    }
    return { width: side, height: side, data };
  });
}

export function arraySource(items: readonly DecodedItem[]): AuditItemSource {
  return {
    length: items.length,
    labels: Int32Array.from(items, (i) => i.label),
    getMany: async (indices) =>
      indices.map((i) => {
        if (!items[i]) throw new Error(`no item ${i}`);
        return items[i];
      }),
  };
}
