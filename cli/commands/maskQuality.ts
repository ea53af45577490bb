import path from 'node:path';
import type { Command } from 'commander';
import { IN_LOCAL_COPY, IN_REPOSITORY, PAPER_DATA_ENV } from '../../contracts/paperData';
import { PAPER_REPO_RAW } from '../../configs/paper/addresses';
import { GT_MASKS_SHA256SUMS } from '../../configs/paper/backgrounds';
import { fetchGtMasks } from '../../lib/data/backgrounds';
import { readSha256SumsFile } from '../../lib/data/download/checksumList';
import { maskQualityOfFolder } from '../../lib/data/maskQuality/gtMaskFolder';
import { ownMaskQualityOfFolder } from '../../lib/data/maskQuality/ownMasks';
import { U2netSession } from '../../lib/data/masks/u2netSession';
import { resolveStateDir } from '../../services/stateDir';
import type { MaskQualityResult, Summary } from '../../lib/data/maskQuality/maskQuality';

/**
 * `bgbias mask-quality [DIR] [--json]`: the paper's mask-quality table (IoU and overlap of the
 * automatic masks against hand-labelled ones) for a folder in the gt_masks layout
 * (<dataset>/<idx>_mask.png + <idx>_mask_pred.png). Without DIR: the paper's 60 published masks,
 * from the local copy named by BGBIAS_PAPER_DATA_DIR, else downloaded from the paper repository
 * (verified) into the state folder's cache. Runs locally; needs no services.
 */
export function registerMaskQuality(program: Command): void {
  program
    .command('mask-quality')
    .description(
      "IoU and overlap of automatic masks against hand-labelled masks (folder layout of the paper's gt_masks)",
    )
    .argument(
      '[dir]',
      `folder with <dataset>/<idx>_mask.png and <idx>_mask_pred.png (default: the paper's published masks, from $${PAPER_DATA_ENV}/gt_masks or downloaded)`,
    )
    .option('--json', 'print the full result (summaries and per-image scores) as JSON')
    .option(
      '--model <u2net.onnx>',
      "also compute this pipeline's masks with this u2net model and score them against the hand labels and the published rembg masks",
    )
    .action(async (dir: string | undefined, opts: { json?: boolean; model?: string }) => {
      await runMaskQuality(dir ?? (await publishedMasks()), opts);
    });
}

/** The paper's published gt_masks folder: the local copy, or a verified download. */
async function publishedMasks(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const local = env[PAPER_DATA_ENV];
  if (local) return path.resolve(local, IN_LOCAL_COPY.gtMasks);
  const destDir = path.join(resolveStateDir(), 'cache', 'downloads', 'gt_masks');
  await fetchGtMasks({
    source: `${PAPER_REPO_RAW}/${IN_REPOSITORY.gtMasks}/`,
    destDir,
    files: readSha256SumsFile(GT_MASKS_SHA256SUMS),
  });
  return destDir;
}

/**
 * The published rows; with `model`, also our masks' rows: `<dataset> ours` (against the hand labels)
 * and `<dataset> ours-rembg` (against the published rembg masks).
 */
export async function runMaskQuality(
  dir: string,
  opts: { json?: boolean; model?: string; print?: (s: string) => void } = {},
): Promise<Record<string, MaskQualityResult>> {
  const print = opts.print ?? ((s: string) => console.log(s));
  const result = await maskQualityOfFolder(dir, { warn: (line) => console.warn(`warning: ${line}`) });
  if (opts.model) {
    const session = await U2netSession.load(opts.model);
    try {
      for (const [ds, q] of Object.entries(await ownMaskQualityOfFolder(dir, session))) {
        result[`${ds} ours`] = q.vsHand;
        result[`${ds} ours-rembg`] = q.vsPublished;
      }
    } finally {
      await session.release();
    }
  }
  print(opts.json ? JSON.stringify(result, null, 2) : formatMaskQuality(result));
  return result;
}

const f = (v: number) => v.toFixed(4);
const row = (ds: string, n: number, metric: string, s: Summary) =>
  [
    ds.padEnd(18),
    String(n).padStart(3),
    metric.padEnd(8),
    ...[s.mean, s.std, s.median, s.q25, s.q75, s.min, s.max].map(f),
  ].join('  ');

export function formatMaskQuality(result: Record<string, MaskQualityResult>): string {
  const head = [
    'dataset '.padEnd(18),
    '  n',
    'metric  ',
    ...['mean', 'std', 'median', 'q25', 'q75', 'min', 'max'].map((h) => h.padStart(6)),
  ].join('  ');
  const lines = [head];
  for (const [ds, r] of Object.entries(result)) {
    lines.push(row(ds, r.images, 'IoU', r.iou));
    lines.push(row(ds, r.images, 'overlap', r.overlap));
  }
  return lines.join('\n');
}
