/**
 * Which local worker processes to start, what each serves, and what it may use. A pure function of
 * the machine (cores, GPUs found by cli/gpuDiscovery.ts, whether tfjs-node-gpu is installed) and the
 * request (`--gpus`, `--gpu-slots`, `--queues`, `concurrency.cells`); `bgbias run` and
 * `bgbias worker --gpus` (npm run worker) both use it.
 *
 * Why processes and not one process with more slots: tfjs runs every op synchronously on the
 * process's one JavaScript thread, so two trainings in one process take turns; and tfjs-node(-gpu)
 * places every op on the FIRST GPU TensorFlow sees (tfjs_backend.cc), so one process can drive one
 * GPU only. Hence:
 *  - GPU plan (GPUs found and tfjs-node-gpu installed, or --gpus): one gpu-queue process per GPU,
 *    pinned with CUDA_VISIBLE_DEVICES (the GPU's UUID, so CUDA's own device order cannot
 *    matter), with --gpu-slots trainings each; plus one cpu-queue process (workflows, downloads,
 *    masks, report) that sees no GPU, so its TensorFlow does not reserve memory on every GPU.
 *  - CPU plan (no usable GPU): one training process per concurrent cell (`concurrency.cells`, at
 *    most one per core) with cores/processes TensorFlow threads each (small convolutions gain little
 *    from a second thread: docs/native-tensorflow.md); the first also serves the cpu queue.
 */
import type { TASK_QUEUES } from '../contracts/ids';
import { describeGpu, type GpuDiscovery, type GpuInfo } from './gpuDiscovery';

export type QueueName = keyof typeof TASK_QUEUES;

/** `--queues cpu,gpu` as a list; an unknown name is an error naming it. */
export function parseQueues(flag: string): QueueName[] {
  const queues = flag.split(',').map((q) => q.trim());
  for (const q of queues)
    if (q !== 'cpu' && q !== 'gpu') throw new Error(`--queues: unknown queue ${q} (expected cpu or gpu)`);
  return queues as QueueName[];
}

export interface WorkerSpec {
  /** Also the log file's name: worker, worker-2, ... (CPU plan); worker-cpu, worker-gpu0, ... (GPU plan). */
  name: string;
  queues: QueueName[];
  /** TF_NUM_INTRAOP_THREADS; undefined = TensorFlow's default (every core). */
  threads?: number;
  /** Activities at a time on the gpu queue (--gpu-slots). */
  gpuSlots?: number;
  /** --backend, when not the default auto. */
  backend?: string;
  /** The GPU this process is pinned to. */
  gpu?: GpuInfo;
  /** Environment on top of the parent's (CUDA_VISIBLE_DEVICES, ...). */
  env: Record<string, string>;
}

export interface WorkerPlan {
  kind: 'cpu' | 'gpu';
  processes: WorkerSpec[];
  /** Things the caller should print (why a GPU is not used, cells that leave GPUs idle). */
  notes: string[];
}

export interface PlanInput {
  cores: number;
  /** Grid cells at a time (`bgbias run`); the CPU plan starts that many training processes. */
  cells?: number;
  discovery: GpuDiscovery;
  /** Whether @tensorflow/tfjs-node-gpu is installed (gpuPackageInstalled()). */
  gpuPackage: boolean;
  /**
   * `--gpus`: "all" or nvidia-smi indices ("0,2"). Undefined: every GPU when there are any and
   * tfjs-node-gpu is installed, else the CPU plan (`bgbias run`).
   */
  gpus?: string;
  /** Trainings at a time per GPU process (default 1). */
  gpuSlots?: number;
  /** Queues to serve on this machine (default cpu and gpu). */
  queues?: QueueName[];
  /** A folder of CUDA libraries (scripts/setup-cuda-wheels.sh) for the gpu processes' LD_LIBRARY_PATH. */
  cudaLibDir?: string;
  /** The parent's LD_LIBRARY_PATH, kept first (a system CUDA the user chose wins). */
  ldLibraryPath?: string;
}

/** Parses `--gpus`: 'all' or distinct non-negative integers. */
export function parseGpuRequest(flag: string): 'all' | number[] {
  const text = flag.trim();
  if (text === 'all') return 'all';
  const parts = text.split(',').map((p) => p.trim());
  if (text === '' || parts.some((p) => !/^\d+$/.test(p))) {
    throw new Error(`--gpus ${JSON.stringify(flag)}: expected all or GPU indices as nvidia-smi numbers them, like 0,2`);
  }
  const indices = parts.map(Number);
  const twice = indices.find((n, i) => indices.indexOf(n) !== i);
  if (twice !== undefined) {
    throw new Error(
      `--gpus ${flag}: GPU ${twice} is listed twice; one process drives one GPU (for more trainings on one GPU use --gpu-slots N)`,
    );
  }
  return indices;
}

export function planWorkers(o: PlanInput): WorkerPlan {
  if (!Number.isInteger(o.cores) || o.cores < 1)
    throw new Error(`planWorkers: cores must be a positive integer, got ${o.cores}`);
  const cells = o.cells ?? 1;
  if (!Number.isInteger(cells) || cells < 1)
    throw new Error(`planWorkers: cells must be a positive integer, got ${o.cells}`);
  const gpuSlots = o.gpuSlots ?? 1;
  if (!Number.isInteger(gpuSlots) || gpuSlots < 1)
    throw new Error(`--gpu-slots must be a positive integer, got ${o.gpuSlots}`);
  const queues = o.queues ?? ['cpu', 'gpu'];
  const found = o.discovery.gpus;
  const notes: string[] = [];

  if (o.gpus === undefined) {
    if (found.length > 0 && o.gpuPackage) return gpuPlan(o, found, gpuSlots, queues, notes);
    if (found.length > 0) {
      notes.push(
        `${found.length} GPU${found.length === 1 ? '' : 's'} found but @tensorflow/tfjs-node-gpu is not installed: training runs on the CPU (docs/gpu-build.md)`,
      );
    } else if (o.gpuPackage) {
      notes.push(
        `@tensorflow/tfjs-node-gpu is installed but no GPU was found (${o.discovery.why}): training runs on the CPU`,
      );
    }
    return cpuPlan(o.cores, cells, queues, notes);
  }

  const request = parseGpuRequest(o.gpus);
  if (found.length === 0) throw new Error(`--gpus ${o.gpus}: no NVIDIA GPU found (${o.discovery.why})`);
  let selected: GpuInfo[];
  if (request === 'all') {
    selected = found;
  } else {
    const byIndex = new Map(found.map((g) => [g.index, g]));
    const missing = request.filter((i) => !byIndex.has(i));
    if (missing.length > 0) {
      throw new Error(
        `--gpus ${o.gpus}: no GPU ${missing.join(', ')} here; this machine has ${found.length} GPU${found.length === 1 ? '' : 's'} ` +
          `(${found.map((g) => g.index).join(', ')}, from ${o.discovery.source})`,
      );
    }
    selected = request.map((i) => byIndex.get(i)!);
  }
  if (!o.gpuPackage) {
    throw new Error(
      `--gpus ${o.gpus}: @tensorflow/tfjs-node-gpu is not installed, so training would run on the CPU; build it first (docs/gpu-build.md)`,
    );
  }
  if (!queues.includes('gpu'))
    throw new Error(`--gpus ${o.gpus} with --queues ${queues.join(',')}: no gpu queue to serve`);
  return gpuPlan(o, selected, gpuSlots, queues, notes);
}

function cpuPlan(cores: number, cells: number, queues: QueueName[], notes: string[]): WorkerPlan {
  const count = Math.min(cells, cores);
  const threads = count === 1 ? undefined : Math.floor(cores / count);
  const processes: WorkerSpec[] = [];
  for (let i = 0; i < count; i++) {
    processes.push({
      name: i === 0 ? 'worker' : `worker-${i + 1}`,
      queues: i === 0 ? queues : ['gpu'],
      ...(threads === undefined ? {} : { threads }),
      env: {},
    });
  }
  return { kind: 'cpu', processes, notes };
}

function gpuPlan(o: PlanInput, gpus: GpuInfo[], gpuSlots: number, queues: QueueName[], notes: string[]): WorkerPlan {
  const count = gpus.length + (queues.includes('cpu') ? 1 : 0);
  const threads = Math.max(1, Math.floor(o.cores / count));
  const processes: WorkerSpec[] = [];
  // CUDA_VISIBLE_DEVICES="" hides every GPU: workflows, downloads and reports need none.
  if (queues.includes('cpu'))
    processes.push({ name: 'worker-cpu', queues: ['cpu'], threads, env: { CUDA_VISIBLE_DEVICES: '' } });
  const ldPath = libraryPath(o.ldLibraryPath, o.cudaLibDir);
  for (const g of gpus) {
    processes.push({
      name: `worker-gpu${g.index}`,
      queues: ['gpu'],
      threads,
      gpuSlots,
      gpu: g,
      env: {
        CUDA_VISIBLE_DEVICES: g.uuid ?? String(g.index),
        // Only matters when pinning by index (no UUID known): makes CUDA count as nvidia-smi does.
        CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
        BGBIAS_GPU: describeGpu(g),
        ...(ldPath === undefined ? {} : { LD_LIBRARY_PATH: ldPath }),
      },
    });
  }
  const slots = gpus.length * gpuSlots;
  if (o.cells !== undefined && o.cells < slots) {
    notes.push(
      `concurrency.cells=${o.cells} keeps at most ${o.cells} of ${slots} GPU slots busy (set concurrency.cells=${slots})`,
    );
  }
  return { kind: 'gpu', processes, notes };
}

/** The parent's LD_LIBRARY_PATH with the CUDA wheel libraries after it (unless already there). */
function libraryPath(current: string | undefined, cudaLibDir: string | undefined): string | undefined {
  if (!cudaLibDir) return undefined;
  const parts = (current ?? '').split(':').filter(Boolean);
  if (!parts.includes(cudaLibDir)) parts.push(cudaLibDir);
  return parts.join(':');
}

/** The plan of one all-in-one worker (cpu and gpu queues), e.g. for `bgbias analyze`. */
export function singleWorkerPlan(): WorkerPlan {
  return { kind: 'cpu', processes: [{ name: 'worker', queues: ['cpu', 'gpu'], env: {} }], notes: [] };
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
