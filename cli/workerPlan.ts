/**
 * How many local worker processes `bgbias run` starts, and how many TensorFlow threads each gets.
 *
 * Why several processes: tfjs runs every op synchronously on the process's one JavaScript thread, so
 * two trainings in one process take turns instead of running together, and TensorFlow's intra-op
 * threads speed up small convolutions poorly (the smoke CNN: 458 img/s with 1 thread, 426 with 2 on
 * this 2-core machine, docs/native-tensorflow.md). On a machine without a GPU, `concurrency.cells`
 * training processes with cores/cells threads each use the cores fully. With a GPU, one process owns
 * it (the gpu queue's one-activity-at-a-time rule).
 */
export interface WorkerPlan {
  /** Processes serving the gpu (training) queue; the first also serves the cpu queue. */
  processes: number;
  /** TF_NUM_INTRAOP_THREADS for each; undefined = TensorFlow's default (every core). */
  threads?: number;
}

export function planLocalWorkers(o: { cells: number; cores: number; gpu: boolean }): WorkerPlan {
  if (!Number.isInteger(o.cells) || o.cells < 1)
    throw new Error(`planLocalWorkers: cells must be a positive integer, got ${o.cells}`);
  if (!Number.isInteger(o.cores) || o.cores < 1)
    throw new Error(`planLocalWorkers: cores must be a positive integer, got ${o.cores}`);
  if (o.gpu) return { processes: 1 };
  const processes = Math.min(o.cells, o.cores);
  if (processes === 1) return { processes };
  return { processes, threads: Math.floor(o.cores / processes) };
}

/** Whether tfjs-node-gpu is installed here (the worker then trains on the GPU). */
export function gpuPackageInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
}
