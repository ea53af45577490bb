/**
 * The smoke preset's dataset: objects composited with their exact soft masks onto class-correlated
 * backgrounds, split into class-disjoint train / val / test classes. Pure and deterministic from the
 * seed; each item draws from its own named random stream, so changing one count never changes the
 * other items.
 */
import type { GrayImage, RgbImage } from '../../image/types';
import { Rng } from '../../util/rng';
import { buildClassSpecs, type ClassSpec } from './classSpecs';
import { SyntheticDatasetConfigSchema, type SyntheticDatasetConfigInput } from './config';
import { sampleInstance, type InstanceSpec } from './instance';
import { renderInstance } from './render';

/**
 * Version of the generator's pixels: bump it whenever the same config would give other images, so
 * a cached dataset keyed by its config is not reused across generator changes. 2 = photo-like class
 * settings (multi-scale texture and distractors) instead of smooth procedural backgrounds.
 */
export const SYNTHETIC_GENERATOR_VERSION = 2;

export type SyntheticSplit = 'train' | 'val' | 'test';
export const SYNTHETIC_SPLITS: readonly SyntheticSplit[] = ['train', 'val', 'test'];

export interface SyntheticItem {
  /** `<split>/c<classId>/<index>`, e.g. `test/c035/007`. */
  id: string;
  /** Global class id, unique across splits: train 0..T-1, val T..T+V-1, test after. */
  label: number;
  image: RgbImage;
  /** Soft object mask 0..255 (exactly the object's alpha in `image`). */
  mask: GrayImage;
  /** Everything needed to re-render this item (renderInstance(spec)). */
  spec: InstanceSpec;
}

export interface SyntheticDataset {
  splits: Record<SyntheticSplit, SyntheticItem[]>;
  numClasses: Record<SyntheticSplit, number>;
  classes: ClassSpec[];
}

export function generateSyntheticDataset(cfgInput: SyntheticDatasetConfigInput): SyntheticDataset {
  const parsed = SyntheticDatasetConfigSchema.safeParse(cfgInput);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid synthetic dataset config: ${issues}`);
  }
  const cfg = parsed.data;
  const total = cfg.classes.train + cfg.classes.val + cfg.classes.test;
  const classes = buildClassSpecs(cfg.seed, total);
  const root = Rng.fromSeed(`synthetic-items|${cfg.seed}`);
  const splits: Record<SyntheticSplit, SyntheticItem[]> = { train: [], val: [], test: [] };
  let first = 0;
  for (const split of SYNTHETIC_SPLITS) {
    for (let c = first; c < first + cfg.classes[split]; c++) {
      for (let i = 0; i < cfg.imagesPerClass; i++) {
        const spec = sampleInstance(classes[c], cfg.size, root.derive('item', c, i));
        const { image, mask } = renderInstance(spec);
        const id = `${split}/c${String(c).padStart(3, '0')}/${String(i).padStart(3, '0')}`;
        splits[split].push({ id, label: c, image, mask, spec });
      }
    }
    first += cfg.classes[split];
  }
  return { splits, numClasses: { ...cfg.classes }, classes };
}
