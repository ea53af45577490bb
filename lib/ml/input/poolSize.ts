/**
 * How many input worker threads a training or evaluation process should run by default.
 *
 * The process's JavaScript main thread drives TensorFlow: tfjs-node runs every op synchronously from
 * it, so it must keep a core. On CPU it is also one of TensorFlow's compute threads, and the other
 * intra-op threads need cores as well. So the pool gets what is left:
 *
 *     size = max(1, cores - max(1, tensorflowThreads))
 *
 * with `cores` the cores this process may use (os.availableParallelism(): the CPU affinity mask, not
 * a cgroup quota; a launcher that runs several processes per machine, one per GPU say, passes its
 * share) and `tensorflowThreads` TensorFlow's intra-op threads on CPU (0 on a GPU, where its kernels
 * run on the device). Examples: 16 cores, one GPU -> 15 workers; 2 cores, one CPU training with 1
 * TensorFlow thread -> 1 worker; 2 cores, TensorFlow on both -> still 1 (the pool then competes with
 * TensorFlow, and the overlap comes from TensorFlow's waits).
 *
 * sharp decodes on libuv's thread pool, which is shared by the whole process (4 threads unless
 * UV_THREADPOOL_SIZE is set before the process starts): a process with more than 4 input workers
 * should be started with UV_THREADPOOL_SIZE >= its pool size (`threadpoolSizeFor`).
 */
import * as os from 'node:os';

export function defaultPoolSize(o: { cores?: number; tensorflowThreads?: number } = {}): number {
  const cores = o.cores ?? os.availableParallelism();
  const tf = o.tensorflowThreads ?? 0;
  if (!(Number.isInteger(cores) && cores >= 1)) throw new Error(`defaultPoolSize: cores must be >= 1, got ${cores}`);
  if (!(Number.isInteger(tf) && tf >= 0)) throw new Error(`defaultPoolSize: tensorflowThreads must be >= 0, got ${tf}`);
  return Math.max(1, cores - Math.max(1, tf));
}

/** The UV_THREADPOOL_SIZE a process with `poolSize` input workers should start with (libuv's default is 4). */
export function threadpoolSizeFor(poolSize: number): number {
  return Math.max(4, poolSize);
}
