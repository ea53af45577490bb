/**
 * Where the dot grid in the smoke report's attention maps comes from (docs/attention-grid.md).
 *
 * The measure: the share of a map's variance that is periodic with period p (p = 2, 4, 8, 16 pixels,
 * the strides of the small CNN's four stride-2 blocks; lib/ml/attribution/periodicity.ts). A map
 * with no periodic structure keeps only the chance share (p^2 - 1) / (n - 1) of its variance there.
 *
 * Experiments (both downsampling variants of the small CNN, several random initialisations):
 *   gradient   the input gradient of the attribution target at a constant (mid-grey) input: no
 *              image, no noise, only the network's structure;
 *   smoothgrad the full attention map (25 noisy copies, noise 0.15) of generated smoke test images;
 *   noise      the SmoothGrad noise alone (|channel mean|, summed over copies), no network;
 * and, with --experiment NAME (a finished smoke run in the local store, `npm run bgbias -- services up`),
 *   trained    the report figure's maps (base and BGAugment) of that run.
 * --figure DIR writes the maps of the first 4 generated test images under both variants with the same
 * random initial weights (attention-random-init.png), and, with --experiment, the run's own figure
 * (attention-<downsampling>.png).
 *
 *   node --import tsx scripts/fidelity/attentionGrid.ts [--seeds 3] [--experiment smoke] [--figure docs/img]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { resolveExperiment } from '../../configs/resolve';
import { generateSyntheticDataset } from '../../lib/data/synthetic';
import { smoothGradAttentionMap as attentionMap, summedAbsGradients } from '../../lib/ml/attribution/smoothGrad';
import { chanceShare, periodicShare } from '../../lib/ml/attribution/periodicity';
import { blackImageTensor } from '../../lib/ml/transforms/blackImage';
import { blackReferenceEmbedding } from '../../lib/ml/attribution/blackReference';
import { initBackend } from '../../lib/ml/backend';
import { createSmallCnn, SMALL_CNN_DOWNSAMPLING } from '../../lib/ml/models/smallCnn';
import { evalTransform } from '../../lib/ml/transforms/pipeline';
import { renderAttentionFigure, type AttentionFigureRow } from '../../lib/report/attentionFigure';
import { Rng } from '../../lib/util/rng';
import { flag, positiveIntFlag } from '../../bench/flags';
import { trainedFigureMaps } from './trainedFigureMaps';

const PERIODS = [2, 4, 8, 16];

/** Periodic shares of one map at every period. */
function periodicShares(map: Float32Array, size: number): Record<number, number> {
  return Object.fromEntries(PERIODS.map((p) => [p, periodicShare(map, size, p)]));
}

class Shares {
  private sums: Record<number, number> = {};
  private n = 0;
  add(s: Record<number, number>): void {
    for (const p of PERIODS) this.sums[p] = (this.sums[p] ?? 0) + s[p];
    this.n++;
  }
  row(label: string): string {
    return `| ${label} | ${this.n} | ${PERIODS.map((p) => `${(100 * (this.sums[p] / this.n)).toFixed(2)}%`).join(' | ')} |`;
  }
}

async function main(): Promise<void> {
  await initBackend();
  const seeds = positiveIntFlag('seeds', 3);
  const figureDir = flag('figure', '');
  const experiment = flag('experiment', '');
  const config = resolveExperiment({ preset: 'smoke' });
  if (config.model.kind !== 'small-cnn') throw new Error('the smoke preset is expected to use the small CNN');
  const width = config.model.width;
  const cfg = {
    resizeShort: config.transform.resizeShort,
    crop: config.transform.crop,
    scale: config.transform.scale,
    ratio: config.transform.ratio,
    mean: config.transform.mean,
  };
  const size = cfg.crop;
  const n = size * size;
  const data = generateSyntheticDataset(config.data.synthetic);
  const images = data.splits.test.slice(0, 8).map((it) => evalTransform(it.image, undefined, cfg).image);
  const lines: string[] = [];
  const header = `| experiment | maps | ${PERIODS.map((p) => `period ${p}`).join(' | ')} |`;
  lines.push(header, `|${'---|'.repeat(PERIODS.length + 2)}`);
  lines.push(
    `| chance (no periodic structure) | | ${PERIODS.map((p) => `${(100 * chanceShare(size, p)).toFixed(2)}%`).join(' | ')} |`,
  );

  // The noise alone: what SmoothGrad adds before any network is involved.
  const noise = new Shares();
  for (let s = 0; s < seeds; s++) {
    const rng = Rng.fromSeed(`grid/noise/${s}`);
    const g = new Float32Array(n);
    for (let c = 0; c < config.attribution.copies; c++)
      for (let i = 0; i < n; i++) {
        const m = (rng.normal() + rng.normal() + rng.normal()) / 3;
        g[i] += Math.abs(m);
      }
    noise.add(periodicShares(g, size));
  }
  lines.push(noise.row('noise alone (25 copies, no network)'));

  const figureMaps: Record<string, Float32Array[]> = {};
  for (const downsampling of SMALL_CNN_DOWNSAMPLING) {
    const gradient = new Shares();
    const smooth = new Shares();
    for (let s = 0; s < seeds; s++) {
      const model = createSmallCnn({
        seed: `grid/${s}`,
        inputSize: size,
        width,
        embeddingSize: config.model.embeddingSize,
        downsampling,
      });
      const black = blackImageTensor(cfg);
      const reference = blackReferenceEmbedding(model, black);
      black.dispose();
      // A constant light-grey input (64 above the mean), one copy, no noise: the input
      // gradient of the attribution target shows the network's structure alone.
      const grey = tf.fill([size, size, 3], 64) as tf.Tensor3D;
      const g = summedAbsGradients(model, grey, reference, 'cosine', Rng.fromSeed('unused'), {
        copies: 1,
        noiseLevel: 0,
      });
      gradient.add(periodicShares(g, size));
      grey.dispose();
      for (const [k, pixels] of images.entries()) {
        const img = tf.tensor3d(pixels, [size, size, 3]);
        const att = attentionMap(model, img, reference, 'cosine', Rng.fromSeed(`grid/smooth/${s}/${k}`), {
          copies: config.attribution.copies,
          noiseLevel: config.attribution.noiseLevel,
        });
        const values = att.dataSync() as Float32Array;
        smooth.add(periodicShares(values, size));
        // The figure: the same initial weights (drawn by name; the blur has none) in both variants.
        if (s === 0 && k < 4) (figureMaps[downsampling] ??= []).push(Float32Array.from(values));
        tf.dispose([img, att]);
      }
      reference.dispose();
      model.dispose();
    }
    lines.push(gradient.row(`${downsampling}, random init: gradient at a constant input`));
    lines.push(smooth.row(`${downsampling}, random init: SmoothGrad of generated test images`));
  }

  if (experiment) {
    const maps = await trainedFigureMaps(experiment);
    for (const mode of ['base', 'bgaugment'] as const) {
      const t = new Shares();
      for (const row of maps.rows) t.add(periodicShares(mode === 'base' ? row.baseMap : row.bgaugmentMap, row.size));
      lines.push(t.row(`${experiment} (${maps.downsampling}), trained ${maps.cell} ${mode}: report figure maps`));
    }
    if (figureDir) {
      mkdirSync(resolve(figureDir), { recursive: true });
      const file = join(resolve(figureDir), `attention-${maps.downsampling}.png`);
      writeFileSync(file, await small(await renderAttentionFigure(maps.rows.slice(0, 4))));
      console.error(`wrote ${file}`);
    }
  }
  if (figureDir) {
    mkdirSync(resolve(figureDir), { recursive: true });
    const rows: AttentionFigureRow[] = figureMaps.strided.map((strided, k) => ({
      image: toRgb(images[k], cfg.mean, size),
      baseMap: strided,
      bgaugmentMap: figureMaps.blurred[k],
      size,
    }));
    const file = join(resolve(figureDir), 'attention-random-init.png');
    writeFileSync(file, await small(await renderAttentionFigure(rows, { headers: ['image', 'strided', 'blurred'] })));
    console.error(`wrote ${file}`);
  }
  console.log(lines.join('\n'));
}

/** A palette PNG: the figures go into docs/img/, where a few hundred KB each would be too much. */
function small(png: Buffer): Promise<Buffer> {
  return sharp(png).png({ palette: true, colours: 96, effort: 10 }).toBuffer();
}

function toRgb(bgr: Float32Array, mean: readonly number[], size: number) {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++)
    for (let c = 0; c < 3; c++)
      data[i * 3 + c] = Math.max(0, Math.min(255, Math.round(bgr[i * 3 + 2 - c] + mean[2 - c])));
  return { width: size, height: size, data };
}

main().then(
  () => tf.disposeVariables(),
  (e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
