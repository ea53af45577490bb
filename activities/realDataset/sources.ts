/**
 * Where a worker gets each real dataset's files from: configs/paper/datasets.ts (the published names, md5
 * sums and image counts), optionally overridden by a JSON file named in BGBIAS_DATASET_SOURCES.
 *
 * Why an override file: a repackaged copy of a dataset (another archive, so another md5) or a
 * miniature of it for tests is a different dataset, and must say so explicitly, with its own sums
 * and counts; mirrors alone (data.mirrors) only add addresses for the SAME bytes. The override's
 * sums enter the prepared stage's digest through the archives' md5s, so the two never mix.
 * Format: { "<dataset>": { "files": { "<file name>": { "md5": "...", "sha256": "...", "urls": [...] } },
 *                          "expected": { "images": 12, "classes": 10, "test": 5, "testClasses": 3 } } }
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DATASET_SOURCES } from '../../configs/paper/datasets';
import { isPaperDataset, type DatasetName, type PaperDataset } from '../../contracts/grid';
import { DatasetCountsSchema, type DatasetSource, type DatasetSources } from '../../lib/data/datasets/sources';

export const SOURCES_ENV = 'BGBIAS_DATASET_SOURCES';

const FileOverride = z.strictObject({
  md5: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** Replaces the published addresses (a repackaged copy has its own; mirrors still come first). */
  urls: z.array(z.string().min(1)).optional(),
});
const SourceOverride = z.strictObject({
  files: z.record(z.string(), FileOverride).optional(),
  expected: DatasetCountsSchema.optional(),
});
const SourcesOverride = z.strictObject({
  cars196: SourceOverride.optional(),
  cub200: SourceOverride.optional(),
  sop: SourceOverride.optional(),
});

/** The sources of one dataset after the override file (if any) is applied. */
export function datasetSource(dataset: DatasetName, env: NodeJS.ProcessEnv = process.env): DatasetSource {
  if (!isPaperDataset(dataset))
    throw new Error(`'${dataset}' is not a downloadable dataset (expected cars196, cub200 or sop)`);
  const sources: DatasetSources = structuredClone(DATASET_SOURCES);
  const file = env[SOURCES_ENV];
  if (file) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${SOURCES_ENV}=${file}: cannot read it as JSON: ${(e as Error).message}`, { cause: e });
    }
    const parsed = SourcesOverride.safeParse(raw);
    if (!parsed.success) {
      throw new Error(
        `${SOURCES_ENV}=${file}: ` +
          `${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      );
    }
    for (const [ds, o] of Object.entries(parsed.data) as [PaperDataset, z.infer<typeof SourceOverride>][]) {
      for (const [name, sums] of Object.entries(o.files ?? {})) {
        const f = sources[ds].files.find((x) => x.name === name);
        if (!f)
          throw new Error(
            `${SOURCES_ENV}=${file}: ${ds} has no file '${name}' (files: ` +
              `${sources[ds].files.map((x) => x.name).join(', ')})`,
          );
        Object.assign(f, sums);
      }
      if (o.expected) sources[ds].expected = o.expected;
    }
  }
  return sources[dataset];
}
