import { z } from 'zod';
import { MAX_SYNTHETIC_CLASSES } from './classSpecs';

/**
 * Settings of the smoke preset's procedurally generated background-bias dataset. Every count is
 * configurable so tests can build a handful of images while the smoke run builds the default set.
 */
export const SyntheticDatasetConfigSchema = z
  .object({
    /** Everything (class styles, poses, backgrounds) derives from this seed. */
    seed: z.union([z.number(), z.string()]).default(42),
    /** Side of the square images in pixels (the prepared short side). */
    size: z.number().int().min(16).max(1024).default(72),
    /** Class-disjoint splits: number of classes in each. */
    classes: z
      .object({
        train: z.number().int().min(1).default(24),
        val: z.number().int().min(1).default(8),
        test: z.number().int().min(1).default(16),
      })
      .default({ train: 24, val: 8, test: 16 }),
    imagesPerClass: z.number().int().min(2).max(10000).default(20),
  })
  .refine((c) => c.classes.train + c.classes.val + c.classes.test <= MAX_SYNTHETIC_CLASSES, {
    message: `classes: train + val + test must be at most ${MAX_SYNTHETIC_CLASSES} (distinct object styles available)`,
    path: ['classes'],
  });

export type SyntheticDatasetConfig = z.output<typeof SyntheticDatasetConfigSchema>;
export type SyntheticDatasetConfigInput = z.input<typeof SyntheticDatasetConfigSchema>;
