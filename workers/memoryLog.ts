/**
 * One line per finished activity with the process's memory: RSS, V8 heap, memory outside the heap
 * (Buffers, typed arrays) and the tensors tfjs holds. A worker runs for days; a leak shows as a
 * column that keeps rising from activity to activity (RSS alone also rises while allocators warm up,
 * then levels off). bench/grid-load.ts reads these lines to judge "flat"; a user sees them in the
 * worker log.
 */
import * as tf from '@tensorflow/tfjs';

type AnyActivity = (...args: never[]) => Promise<unknown>;

const MIB = 2 ** 20;

export function memoryLine(activity: string): string {
  const m = process.memoryUsage();
  const t = tf.memory();
  return (
    `memory after ${activity}: rss ${(m.rss / MIB).toFixed(0)} MiB, heap ${(m.heapUsed / MIB).toFixed(0)} MiB, ` +
    `external ${(m.external / MIB).toFixed(0)} MiB, tf tensors ${t.numTensors} (${(t.numBytes / MIB).toFixed(1)} MiB)`
  );
}

export function withMemoryLog<T extends Record<string, AnyActivity>>(activities: T, log: (line: string) => void): T {
  const wrapped: Record<string, AnyActivity> = {};
  for (const [name, fn] of Object.entries(activities)) {
    const run = async (...args: never[]) => {
      try {
        return await fn(...args);
      } finally {
        log(memoryLine(name));
      }
    };
    Object.defineProperty(run, 'name', { value: name });
    wrapped[name] = run;
  }
  return wrapped as T;
}
