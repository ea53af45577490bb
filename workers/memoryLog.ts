/**
 * One line per finished activity with the process's memory: RSS, V8 heap, memory outside the heap
 * (Buffers, typed arrays) and the tensors tfjs holds. A worker runs for days; a leak shows as a
 * column that keeps rising from activity to activity (RSS alone also rises while allocators warm up,
 * then levels off). bench/grid-load.ts reads these lines to judge "flat"; a user sees them in the
 * worker log.
 */
import * as tf from '@tensorflow/tfjs';
import { wrapActivities, type AnyActivity } from '../activities/wrapActivities';

const MIB = 2 ** 20;

export function memoryLine(activity: string): string {
  const m = process.memoryUsage();
  const t = tf.memory();
  return (
    `memory after ${activity}: rss ${(m.rss / MIB).toFixed(0)} MiB, heap ${(m.heapUsed / MIB).toFixed(0)} MiB, ` +
    `external ${(m.external / MIB).toFixed(0)} MiB, tf tensors ${t.numTensors} (${(t.numBytes / MIB).toFixed(1)} MiB)`
  );
}

/** The memory lines in a worker's log, in order: [rss MiB, heap MiB, external MiB, tf tensors] each. */
export function parseMemoryLines(log: string): number[][] {
  const line = /memory after \S+: rss (\d+) MiB, heap (\d+) MiB, external (\d+) MiB, tf tensors (\d+)/g;
  return [...log.matchAll(line)].map((m) => m.slice(1, 5).map(Number));
}

export function withMemoryLog<T extends Record<string, AnyActivity>>(activities: T, log: (line: string) => void): T {
  return wrapActivities(activities, async (name, run) => {
    try {
      return await run();
    } finally {
      log(memoryLine(name));
    }
  });
}
