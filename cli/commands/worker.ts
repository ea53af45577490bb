import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { ensureServices } from '../../lib/services/embedded';
import { resolveStateDir } from '../../lib/services/stateDir';
import { parseWorkerOptions, serveQueues } from '../../workers/main';
import { findCudaLibDir } from '../cudaLibraries';
import { describeGpu, discoverGpus } from '../gpuDiscovery';
import { gpuPackageInstalled, planWorkers } from '../workerPlan';
import { exitDescription, startWorkerProcess } from '../workerProcess';

interface WorkerCommandOptions {
  queues: string;
  backend: string;
  gpuSlots: string;
  threads?: string;
  gpus?: string;
}

/**
 * `bgbias worker` (npm run worker): serves the task queues on this machine. Without --gpus, in this
 * process (as workers/main.ts). With --gpus all|0,2: one gpu-queue process per GPU, pinned with
 * CUDA_VISIBLE_DEVICES, plus one cpu-queue process (cli/workerPlan.ts); their output is shown here,
 * prefixed with the process's name, and kept in <state>/logs/<name>.log.
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
      const o = parseWorkerOptions(opts);
      if (opts.gpus === undefined) return serveQueues(o);
      await superviseGpuWorkers(opts.gpus, o);
    });
}

async function superviseGpuWorkers(gpus: string, o: ReturnType<typeof parseWorkerOptions>): Promise<void> {
  if (o.backend === 'cpu') throw new Error('--gpus with --backend cpu: the GPU processes would not use their GPU');
  const root = path.resolve(__dirname, '..', '..');
  const discovery = discoverGpus();
  const plan = planWorkers({
    cores: os.availableParallelism(),
    discovery,
    gpuPackage: gpuPackageInstalled(),
    gpus,
    gpuSlots: o.gpuSlots,
    queues: o.queues,
    cudaLibDir: findCudaLibDir(root),
    ldLibraryPath: process.env.LD_LIBRARY_PATH,
  });
  if (o.threads !== undefined) for (const p of plan.processes) p.threads = o.threads;
  console.log(`GPUs (${discovery.source}): ${discovery.gpus.map(describeGpu).join('; ')}`);
  for (const note of plan.notes) console.log(`note: ${note}`);
  // Start (or find) the services once here, so the processes do not race to start them.
  await ensureServices({ log: (l) => console.log(l) });
  const stateDir = resolveStateDir();
  const workers = startWorkerProcess(stateDir, plan, {
    echo: true,
    signalMessage: 'workers stopped; running trainings resume from their checkpoints on the next worker.',
  });
  for (const w of workers.all) {
    const where = w.spec.gpu
      ? `${describeGpu(w.spec.gpu)}, CUDA_VISIBLE_DEVICES=${w.spec.env.CUDA_VISIBLE_DEVICES}`
      : 'no GPU';
    console.log(
      `started ${w.spec.name} (pid ${w.child.pid}): queues ${w.spec.queues.join(',')}, ${where}, ` +
        `${w.spec.threads === undefined ? 'all' : w.spec.threads} TensorFlow thread${w.spec.threads === 1 ? '' : 's'}${w.spec.gpuSlots ? `, ${w.spec.gpuSlots} slot${w.spec.gpuSlots > 1 ? 's' : ''}` : ''}; log ${w.logFile}`,
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
