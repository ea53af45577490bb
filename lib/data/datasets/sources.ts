/**
 * The shape of a dataset's published sources (configs/paper/datasets.ts holds the paper's, a
 * BGBIAS_DATASET_SOURCES file may override them) and the order in which a file's addresses are
 * tried: mirrors first, then the originals. The md5 identifies the right file whatever the address.
 */
import { z } from 'zod';

const md5 = z.string().regex(/^[0-9a-f]{32}$/, 'an md5 sum is 32 lowercase hex digits');

export const DatasetFileSchema = z.strictObject({
  /** File name as published (also the key for mirrors and for the local download folder). */
  name: z.string().min(1),
  md5: md5.optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** Original addresses, tried after any mirror. May be empty when only mirrors can serve it. */
  urls: z.array(z.string().min(1)),
  /** 'archive' is extracted into the dataset folder; 'file' is copied there as is. */
  kind: z.enum(['archive', 'file']),
  /** Optional extras (CUB's official segmentations): a missing one is skipped, not an error. */
  optional: z.boolean(),
});

export const DatasetCountsSchema = z.strictObject({
  /** Images over all three splits. */
  images: z.int().positive().optional(),
  classes: z.int().positive().optional(),
  /** Images and classes of the test split. */
  test: z.int().positive().optional(),
  testClasses: z.int().positive().optional(),
});

export const DatasetSourceSchema = z.strictObject({
  files: z.array(DatasetFileSchema).min(1),
  /** What the indexed dataset must contain; a mismatch means a wrong or damaged copy. */
  expected: DatasetCountsSchema,
});

export const DatasetSourcesSchema = z.strictObject({
  cars196: DatasetSourceSchema,
  cub200: DatasetSourceSchema,
  sop: DatasetSourceSchema,
});

export type DatasetFile = z.infer<typeof DatasetFileSchema>;
export type DatasetSource = z.infer<typeof DatasetSourceSchema>;
export type DatasetSources = z.infer<typeof DatasetSourcesSchema>;
export type DatasetCounts = z.infer<typeof DatasetCountsSchema>;

/** Environment variable with comma-separated mirror prefixes (see configs/paper/datasets.ts). */
export const MIRRORS_ENV = 'BGBIAS_DATASET_MIRRORS';

/**
 * The addresses to try for one file (a dataset file, the u2net model, the pretrained weights), in
 * order: config mirrors for its name, env prefixes + name, then the originals.
 */
export function downloadUrlsFor(
  file: Pick<DatasetFile, 'name' | 'urls'>,
  mirrors: Record<string, readonly string[]> = {},
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const prefixes = (env[MIRRORS_ENV] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const fromEnv = prefixes.map((p) => (p.endsWith('/') ? p : `${p}/`) + file.name);
  return [...(mirrors[file.name] ?? []), ...fromEnv, ...file.urls];
}
