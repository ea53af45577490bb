import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { ensureServices } from '../../services/embedded';
import { resolveStateDir } from '../../services/stateDir';
import { findCudaLibDir } from '../cudaLibraries';
import { describeGpu, discoverGpus } from '../gpuDiscovery';
import { gpuPackageInstalled, parseQueues, planWorkers } from '../workerPlan';
import { exitDescription, startWorkerProcess, WORKER_MAIN } from '../workerProcess';

interface WorkerCommandOptions {
  queues: string;
  backend: string;
  gpuSlots: string;
  threads?: string;
  gpus?: string;
}

/**
 * `bgbias worker` (npm run worker): serves the task queues on this machine. Without --gpus, one
 * worker process (workers/main.ts with the same options, output on this terminal). With --gpus
 * all|0,2: one gpu-queue process per GPU, pinned with CUDA_VISIBLE_DEVICES, plus one cpu-queue
 * process (cli/workerPlan.ts); their output is shown here, prefixed with the process's name, and kept
 * in <state>/logs/<name>.log.
 */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('serve the task queues on this machine; --gpus all|0,2: one training process per GPU')
    .option('--queues <list>', 'task queues to serve: cpu, gpu or cpu,gpu', 'cpu,gpu')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow or cpu', 'auto')
    .option('--gpu-slots <n>', 'trainings at a time per process on the gpu queue (per GPU with --gpus)', '1')
    .option(
      '--threads <n>',
      'TensorFlow intra-op threads per process (default: every core; with --gpus: cores/processes)',
    )
    .option(
      '--gpus <list>',
      'all, or GPU indices as nvidia-smi numbers them (0,2): one gpu-queue process per GPU, plus one cpu-queue process',
    )
    .action(async (opts: WorkerCommandOptions) => {
      if (opts.gpus === undefined) await runOneWorker(opts);
      else await superviseGpuWorkers(opts.gpus, opts);
    });
}

/** workers/main.ts in a child process with this terminal; its exit code becomes ours. */
async function runOneWorker(opts: WorkerCommandOptions): Promise<void> {
  positiveInt('--gpu-slots', opts.gpuSlots);
  positiveInt('--threads', opts.threads);
  parseQueues(opts.queues);
  const args = ['--queues', opts.queues, '--backend', opts.backend, '--gpu-slots', opts.gpuSlots];
  if (opts.threads !== undefined) args.push('--threads', opts.threads);
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN, ...args], { stdio: 'inherit' });
  // Ctrl-C reaches the worker directly (same process group); it then shuts down its Temporal workers
  // (a second SIGINT would kill it at once, so it is not forwarded). SIGTERM sent to this process
  // alone (a supervisor) is passed on.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const code = await new Promise<number>((resolve) =>
    child.once('exit', (c, signal) => resolve(c ?? (signal === 'SIGINT' ? 130 : 1))),
  );
  if (code !== 0) process.exitCode = code;
}

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

async function superviseGpuWorkers(gpus: string, opts: WorkerCommandOptions): Promise<void> {
  if (opts.backend === 'cpu') throw new Error('--gpus with --backend cpu: the GPU processes would not use their GPU');
  const threads = positiveInt('--threads', opts.threads);
  const gpuSlots = positiveInt('--gpu-slots', opts.gpuSlots);
  const discovery = discoverGpus();
  const plan = planWorkers({
    cores: os.availableParallelism(),
    discovery,
    gpuPackage: gpuPackageInstalled(),
    gpus,
    gpuSlots,
    queues: parseQueues(opts.queues),
    cudaLibDir: findCudaLibDir(path.resolve(__dirname, '..', '..')),
    ldLibraryPath: process.env.LD_LIBRARY_PATH,
  });
  for (const p of plan.processes) {
    if (threads !== undefined) p.threads = threads;
    if (opts.backend !== 'auto') p.backend = opts.backend;
  }
  console.log(`GPUs (${discovery.source}): ${discovery.gpus.map(describeGpu).join('; ')}`);
  for (const note of plan.notes) console.log(`note: ${note}`);
  // Start (or find) the services once here, so the processes do not race to start them.
  await ensureServices({ log: (l) => console.log(l) });
  const workers = startWorkerProcess(resolveStateDir(), plan, {
    echo: true,
    signalMessage: 'workers stopped; running trainings resume from their checkpoints on the next worker.',
  });
  for (const w of workers.all) {
    const where = w.spec.gpu
      ? `${describeGpu(w.spec.gpu)}, CUDA_VISIBLE_DEVICES=${w.spec.env.CUDA_VISIBLE_DEVICES}`
      : 'no GPU';
    const t = w.spec.threads;
    const slots = w.spec.gpuSlots ? `, ${w.spec.gpuSlots} slot${w.spec.gpuSlots > 1 ? 's' : ''}` : '';
    console.log(
      `started ${w.spec.name} (pid ${w.child.pid}): queues ${w.spec.queues.join(',')}, ${where}, ` +
        `${t === undefined ? 'all' : t} TensorFlow thread${t === 1 ? '' : 's'}${slots}; log ${w.logFile}`,
    );
  }
  // One process ending is an error for the whole group: stop the others and say which one, so a
  // supervisor (systemd, Docker's restart policy) restarts the group; trainings resume from checkpoints.
  const dead = await workers.anyExit;
  await workers.stop();
  throw new Error(
    `${dead.spec.name} exited (${exitDescription(dead.child)}); stopped the other workers (log ${dead.logFile})`,
  );
}
