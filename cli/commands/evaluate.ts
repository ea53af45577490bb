/**
 * `bgbias evaluate --embeddings E.npy --labels L.npy`: MAP@R, R-Precision and P@1 of a split against
 * itself (PML AccuracyCalculator semantics, docs/protocol.md section 9) from embeddings saved as .npy,
 * e.g. by numpy or by PyTorch (`np.save(path, emb.numpy())`). Lets anyone score embeddings from any
 * source with exactly the metric code the workflow uses.
 */
import type { Command } from 'commander';
import { readNpy, type NpyArray } from '../../lib/io/npy';
import { initBackend } from '../../lib/ml/backend';
import { retrievalMetricsAsync, type RetrievalMetrics, type RetrievalOptions } from '../../lib/ml/metrics/retrieval';

export interface EvaluateOptions {
  embeddings: string;
  labels: string;
  blockSize?: number;
  engine?: RetrievalOptions['engine'];
  onProgress?: (done: number, total: number) => void;
}

export type EvaluateResult = RetrievalMetrics & { n: number; dim: number };

/** Loads and checks both files, then computes the metrics. Errors name the file and the mismatch. */
export async function runEvaluate(opts: EvaluateOptions): Promise<EvaluateResult> {
  const emb = await readNpy(opts.embeddings);
  const lab = await readNpy(opts.labels);
  if (emb.dtype !== 'float32') {
    throw new Error(`${opts.embeddings}: embeddings must be float32, got ${emb.dtype} (numpy: arr.astype(np.float32))`);
  }
  if (emb.shape.length !== 2) {
    throw new Error(`${opts.embeddings}: embeddings must be a 2-D array N x D, got shape (${emb.shape.join(', ')})`);
  }
  const [n, dim] = emb.shape;
  if (n < 1 || dim < 1) throw new Error(`${opts.embeddings}: empty embeddings, shape (${n}, ${dim})`);
  const labels = integerLabels(lab, opts.labels);
  if (labels.length !== n) {
    throw new Error(
      `${opts.labels}: ${labels.length} labels, but ${opts.embeddings} has ${n} embeddings (shape (${n}, ${dim}))`,
    );
  }
  if (opts.blockSize !== undefined && (!Number.isInteger(opts.blockSize) || opts.blockSize < 1)) {
    throw new Error(`--block-size must be a positive integer, got ${opts.blockSize}`);
  }
  await initBackend();
  const metrics = await retrievalMetricsAsync(emb.data as Float32Array, dim, labels, {
    blockSize: opts.blockSize,
    engine: opts.engine,
    onProgress: opts.onProgress,
  });
  return { ...metrics, n, dim };
}

function integerLabels(a: NpyArray, path: string): Int32Array {
  if (a.shape.length !== 1)
    throw new Error(`${path}: labels must be a 1-D array of N integers, got shape (${a.shape.join(', ')})`);
  if (a.dtype === 'int32') return a.data as Int32Array;
  if (a.dtype === 'uint8') return Int32Array.from(a.data as Uint8Array);
  if (a.dtype === 'int64') {
    const src = a.data as BigInt64Array;
    const out = new Int32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      if (src[i] < -2147483648n || src[i] > 2147483647n)
        throw new Error(`${path}: label ${i} (${src[i]}) does not fit in 32 bits`);
      out[i] = Number(src[i]);
    }
    return out;
  }
  throw new Error(`${path}: labels must be integers (int32, int64 or uint8), got ${a.dtype}`);
}

export function formatEvaluate(r: EvaluateResult): string {
  return [
    `N ${r.n} embeddings of dimension ${r.dim}; ${r.numQueries} queries with another member of their class; k ${r.k}`,
    `MAP@R        ${r.mapAtR.toFixed(6)}`,
    `R-Precision  ${r.rPrecision.toFixed(6)}`,
    `P@1          ${r.precisionAt1.toFixed(6)}`,
  ].join('\n');
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description(
      'retrieval metrics (MAP@R, R-Precision, P@1; PML AccuracyCalculator semantics) of embeddings against themselves',
    )
    .requiredOption('--embeddings <file>', '.npy float32 array N x D')
    .requiredOption('--labels <file>', '.npy integer array of N class labels')
    .option('--json', 'print the result as JSON')
    .option('--block-size <n>', 'query rows per block (memory/speed trade-off)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`--block-size must be a positive integer, got ${JSON.stringify(v)}`);
      return n;
    })
    .action(async (opts: { embeddings: string; labels: string; json?: boolean; blockSize?: number }) => {
      // SOP's test split takes tens of seconds: show progress on an interactive terminal only.
      const onProgress = process.stderr.isTTY
        ? (done: number, total: number) =>
            process.stderr.write(`\revaluate: block ${done}/${total}${done === total ? '\n' : ''}`)
        : undefined;
      const result = await runEvaluate({
        embeddings: opts.embeddings,
        labels: opts.labels,
        blockSize: opts.blockSize,
        onProgress,
      });
      console.log(opts.json ? JSON.stringify(result, null, 2) : formatEvaluate(result));
    });
}
