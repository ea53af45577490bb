/**
 * Benchmark: `bgbias evaluate` (runEvaluate) at the size of SOP's test split against PML 1.7.3's
 * AccuracyCalculator on the same input.
 *
 * Input: 60,502 random unit embeddings of dimension 128 in 11,316 classes of 2..12 images (SOP's test
 * split has exactly these counts), class centre + noise so that the metrics are not trivial; seeded.
 * Each side runs in its own process so that its peak RSS is its own; both on one thread by default
 * (TF_NUM_INTRAOP_THREADS / OMP_NUM_THREADS), since this machine's cores are shared.
 *
 * Usage: node --import tsx bench/evaluate-sop.ts [--engine auto|js|tfjs] [--threads N] [--skip-pml]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../lib/io/npy';
import { Rng } from '../lib/util/rng';
import { runEvaluate } from '../cli/commands/evaluate';
import { flag, hasFlag } from './flags';

const N = 60_502;
const CLASSES = 11_316;
const DIM = 128;

/**
 * Class sizes in [2, 12] summing to N, skewed to small classes as in SOP (mean 5.35): 2 + floor(11 u^1.8),
 * then +-1 steps on random classes to hit N exactly. Class 0 has 12, SOP's largest, so k = 11.
 */
function classSizes(rng: Rng): number[] {
  const sizes = Array.from({ length: CLASSES }, () => 2 + Math.floor(11 * rng.uniform() ** 1.8));
  sizes[0] = 12;
  let total = sizes.reduce((a, b) => a + b, 0);
  while (total !== N) {
    const c = rng.int(1, CLASSES - 1);
    if (total < N && sizes[c] < 12) {
      sizes[c]++;
      total++;
    } else if (total > N && sizes[c] > 2) {
      sizes[c]--;
      total--;
    }
  }
  return sizes;
}

async function writeInput(dir: string): Promise<void> {
  const rng = Rng.fromSeed('evaluate-sop-bench');
  const sizes = classSizes(rng);
  const labels = new BigInt64Array(N);
  const emb = new Float32Array(N * DIM);
  const centre = new Float64Array(DIM);
  let row = 0;
  for (let c = 0; c < CLASSES; c++) {
    for (let d = 0; d < DIM; d++) centre[d] = rng.normal();
    for (let s = 0; s < sizes[c]; s++, row++) {
      labels[row] = BigInt(c);
      let norm = 0;
      for (let d = 0; d < DIM; d++) {
        const v = centre[d] + 1.3 * rng.normal();
        emb[row * DIM + d] = v;
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      for (let d = 0; d < DIM; d++) emb[row * DIM + d] /= norm;
    }
  }
  // Shuffle rows so that classes are not contiguous (as in the real split, and for faiss's tie order).
  const order = rng.shuffle(Array.from({ length: N }, (_, i) => i));
  const embS = new Float32Array(N * DIM);
  const labS = new BigInt64Array(N);
  order.forEach((src, dst) => {
    embS.set(emb.subarray(src * DIM, src * DIM + DIM), dst * DIM);
    labS[dst] = labels[src];
  });
  await writeNpy(join(dir, 'emb.npy'), { dtype: 'float32', shape: [N, DIM], data: embS });
  await writeNpy(join(dir, 'labels.npy'), { dtype: 'int64', shape: [N], data: labS });
}

async function child(dir: string, engine: string): Promise<void> {
  const t0 = performance.now();
  const r = await runEvaluate({
    embeddings: join(dir, 'emb.npy'),
    labels: join(dir, 'labels.npy'),
    engine: engine as 'auto',
  });
  const seconds = (performance.now() - t0) / 1000;
  const { backendInfo } = await import('../lib/ml/backend');
  console.log(
    JSON.stringify({ ...r, seconds, peakRssMB: process.resourceUsage().maxRSS / 1024, backend: backendInfo()?.name }),
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4]);
  const engine = flag('engine', 'auto');
  const threads = flag('threads', '1');
  const dir = mkdtempSync(join(tmpdir(), 'evaluate-sop-'));
  try {
    await writeInput(dir);
    const env = {
      ...process.env,
      TF_NUM_INTRAOP_THREADS: threads,
      OMP_NUM_THREADS: threads,
      OPENBLAS_NUM_THREADS: threads,
    };
    const ours = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', __filename, '--child', dir, engine], { env, encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop()!,
    );
    console.log(
      `bgbias evaluate (engine ${engine}, backend ${ours.backend}, ${threads} thread(s)): ` +
        `${ours.seconds.toFixed(1)} s, ` +
        `peak RSS ${ours.peakRssMB.toFixed(0)} MB; MAP@R ${ours.mapAtR.toFixed(6)} R-P ` +
        `${ours.rPrecision.toFixed(6)} P@1 ${ours.precisionAt1.toFixed(6)} k ${ours.k}`,
    );
    if (hasFlag('skip-pml')) return;
    const pml = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [join(__dirname, 'pml_evaluate_sop.py'), join(dir, 'emb.npy'), join(dir, 'labels.npy')],
        { env, encoding: 'utf8' },
      )
        .trim()
        .split('\n')
        .pop()!,
    );
    console.log(
      `PML 1.7.3 AccuracyCalculator (faiss, ${threads} thread(s)): ${pml.seconds.toFixed(1)} s, peak RSS ` +
        `${pml.peakRssMB.toFixed(0)} MB; ` +
        `MAP@R ${pml.mapAtR.toFixed(6)} R-P ${pml.rPrecision.toFixed(6)} P@1 ${pml.precisionAt1.toFixed(6)} k ${pml.k}`,
    );
    const metrics = ['mapAtR', 'rPrecision', 'precisionAt1'] as const;
    const maxDifference = Math.max(...metrics.map((k) => Math.abs(ours[k] - pml[k])));
    console.log(
      `time ratio ours/PML: ${(ours.seconds / pml.seconds).toFixed(2)}; ` +
        `max |metric difference|: ${maxDifference.toExponential(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
