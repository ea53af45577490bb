/**
 * Worker process entry: `node --import tsx workers/main.ts [--queues cpu,gpu] [--backend auto] [--threads N]
 * [--input-workers N]`.
 * Uses TEMPORAL_ADDRESS / S3_ENDPOINT when set (GPU machines joining a cluster), else the embedded
 * services of this checkout (started if needed). One process per GPU, pinned with
 * CUDA_VISIBLE_DEVICES, is `bgbias worker --gpus` (npm run worker -- --gpus all: cli/commands/worker.ts).
 */
import path from 'node:path';
import { Command } from 'commander';
import { ensureServices } from '../services/embedded';
import { resolveStateDir } from '../services/stateDir';
import { runWorkers, type QueueName } from './runWorkers';

async function main(): Promise<void> {
  const program = new Command('bgbias-worker')
    .option('--queues <list>', 'task queues to serve: cpu, gpu or cpu,gpu', 'cpu,gpu')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow or cpu', 'auto')
    .option('--gpu-slots <n>', 'activities at a time on the gpu queue', '1')
    .option('--threads <n>', 'TensorFlow intra-op threads (default: every core)')
    .option(
      '--input-workers <n>',
      'input pool threads per training or evaluation (default: the cores TensorFlow leaves)',
    )
    .parse();
  const opts = program.opts<{
    queues: string;
    backend: 'auto' | 'tensorflow' | 'cpu';
    gpuSlots: string;
    threads?: string;
    inputWorkers?: string;
  }>();
  const threads = opts.threads === undefined ? undefined : Number(opts.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`--threads must be a positive integer, got ${JSON.stringify(opts.threads)}`);
  }
  const inputWorkers = opts.inputWorkers === undefined ? undefined : Number(opts.inputWorkers);
  if (inputWorkers !== undefined && !(Number.isInteger(inputWorkers) && inputWorkers >= 1)) {
    throw new Error(`--input-workers must be a positive integer, got ${JSON.stringify(opts.inputWorkers)}`);
  }
  const queues = opts.queues.split(',').map((q) => q.trim()) as QueueName[];
  for (const q of queues)
    if (q !== 'cpu' && q !== 'gpu') throw new Error(`--queues: unknown queue ${q} (expected cpu or gpu)`);
  const endpoints = await ensureServices({ log: (l) => console.log(l) });
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());
  await runWorkers(
    {
      endpoints,
      queues,
      cacheDir: path.join(resolveStateDir(), 'cache'),
      backend: opts.backend,
      gpuSlots: Number(opts.gpuSlots),
      threads,
      inputWorkers,
    },
    controller.signal,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
