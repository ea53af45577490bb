/**
 * One worker process: `node --import tsx workers/main.ts [--queues cpu,gpu] [--backend auto] [--gpu-slots N] [--threads N]`.
 * Uses TEMPORAL_ADDRESS / S3_ENDPOINT when set (GPU machines joining a cluster), else the embedded
 * services of this checkout (started if needed). One process per GPU, pinned with
 * CUDA_VISIBLE_DEVICES, is `bgbias worker --gpus` (npm run worker -- --gpus all: cli/commands/worker.ts).
 */
import path from 'node:path';
import { Command } from 'commander';
import { ensureServices } from '../lib/services/embedded';
import { resolveStateDir } from '../lib/services/stateDir';
import type { BackendPreference } from '../lib/ml/backend';
import { runWorkers, type QueueName } from './runWorkers';

export interface WorkerOptions {
  queues: QueueName[];
  backend: BackendPreference;
  gpuSlots: number;
  threads?: number;
}

/** The command-line options as given (strings), checked; errors name the flag. */
export function parseWorkerOptions(raw: {
  queues: string;
  backend: string;
  gpuSlots: string;
  threads?: string;
}): WorkerOptions {
  const threads = raw.threads === undefined ? undefined : Number(raw.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`--threads must be a positive integer, got ${JSON.stringify(raw.threads)}`);
  }
  const gpuSlots = Number(raw.gpuSlots);
  if (!(Number.isInteger(gpuSlots) && gpuSlots >= 1)) {
    throw new Error(`--gpu-slots must be a positive integer, got ${JSON.stringify(raw.gpuSlots)}`);
  }
  const queues = raw.queues.split(',').map((q) => q.trim()) as QueueName[];
  for (const q of queues)
    if (q !== 'cpu' && q !== 'gpu') throw new Error(`--queues: unknown queue ${q} (expected cpu or gpu)`);
  return { queues, backend: raw.backend as BackendPreference, gpuSlots, threads };
}

/** Serves the queues in this process until SIGINT/SIGTERM. */
export async function serveQueues(o: WorkerOptions): Promise<void> {
  const endpoints = await ensureServices({ log: (l) => console.log(l) });
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());
  await runWorkers(
    {
      endpoints,
      queues: o.queues,
      cacheDir: path.join(resolveStateDir(), 'cache'),
      backend: o.backend,
      gpuSlots: o.gpuSlots,
      threads: o.threads,
    },
    controller.signal,
  );
}

async function main(): Promise<void> {
  const program = new Command('bgbias-worker')
    .option('--queues <list>', 'task queues to serve: cpu, gpu or cpu,gpu', 'cpu,gpu')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow or cpu', 'auto')
    .option('--gpu-slots <n>', 'activities at a time on the gpu queue', '1')
    .option('--threads <n>', 'TensorFlow intra-op threads (default: every core)')
    .parse();
  await serveQueues(parseWorkerOptions(program.opts()));
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
