import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createActivities } from '../activities';
import { withMemoryLog } from './memoryLog';
import { initBackend, type BackendPreference } from '../lib/ml/backend';
import type { ServiceEndpoints } from '../services/embedded';
import type { TemporalEndpoint } from '../services/endpoints';
import { describeTemporal, temporalConnectOptions } from '../services/temporalTls';
import { TASK_QUEUES } from '../contracts/ids';

export type QueueName = keyof typeof TASK_QUEUES;

export interface RunWorkersOptions {
  endpoints: ServiceEndpoints;
  queues: QueueName[];
  /** Local cache of dataset shards and decoded data (worker-local, keyed by digest). */
  cacheDir: string;
  backend?: BackendPreference;
  /** Activities at a time on the gpu queue (one per GPU). */
  gpuSlots?: number;
  /** TensorFlow intra-op threads (default: every core; see cli/workerPlan.ts). */
  threads?: number;
  /** Input pool threads per training/evaluation/attribution (default: lib/ml/input/poolSize.ts's). */
  inputWorkers?: number;
  log?: (line: string) => void;
}

/** The workers' connection (Rust core), with the same address and TLS settings as the CLI's. */
export async function connectWorkerConnection(temporal: TemporalEndpoint): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectOptions(temporal)).catch((err: Error) => {
    throw new Error(`workers cannot connect to the Temporal server at ${describeTemporal(temporal)}: ${err.message}`);
  });
}

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per process (swc, offline). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger });
  return bundlePromise;
}

let runtimeInstalled = false;

/** Core SDK logs at WARN and above; the runtime can be installed once per process. */
function installRuntimeOnce(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by the host process (tests, embedding): keep its settings.
  }
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };

/**
 * Runs the workers of the given queues until `signal` aborts (or SIGINT/SIGTERM on the process).
 * cpu: every workflow + download/masks/report activities; gpu: train/evaluate/attribution, one at a
 * time per GPU (TEMPORAL.md "Routing").
 */
export async function runWorkers(o: RunWorkersOptions, signal?: AbortSignal): Promise<void> {
  const log = o.log ?? ((l: string) => console.log(l));
  installRuntimeOnce();
  const connection = await connectWorkerConnection(o.endpoints.temporal);
  const workers: Worker[] = [];
  try {
    // BGBIAS_GPU is set by cli/workerPlan.ts when this process is pinned to one GPU.
    const pinned = process.env.BGBIAS_GPU;
    const info = o.queues.includes('gpu') ? await initBackend(o.backend ?? 'auto', { threads: o.threads }) : undefined;
    // The launcher's --threads is this process's share of the cores (cli/workerPlan.ts). A GPU of its
    // own (pinned, or one TensorFlow uses) is where u2net's mask parts try onnxruntime's CUDA provider.
    const activities = withMemoryLog(
      createActivities({
        s3: o.endpoints.s3,
        cacheDir: o.cacheDir,
        inputWorkers: o.inputWorkers,
        cores: o.threads,
        gpu: pinned !== undefined || info?.device === 'gpu',
        log,
      }),
      log,
    );
    if (info) {
      log(
        `gpu worker: tfjs backend ${info.name} (${info.package} ${info.version}, ${info.device}, ${info.threads} ` +
          `thread${info.threads === 1 ? '' : 's'})` +
          (pinned ? `; pinned to ${pinned} (CUDA_VISIBLE_DEVICES=${process.env.CUDA_VISIBLE_DEVICES})` : ''),
      );
      if (pinned && info.device !== 'gpu') {
        log(
          `WARNING: pinned to ${pinned} but TensorFlow created no GPU device, so training runs on the CPU: ` +
            `check its log lines above and the CUDA libraries on LD_LIBRARY_PATH (docs/gpu-build.md)`,
        );
      }
      workers.push(
        await Worker.create({
          connection,
          namespace: o.endpoints.temporal.namespace,
          taskQueue: TASK_QUEUES.gpu,
          activities,
          maxConcurrentActivityTaskExecutions: o.gpuSlots ?? 1,
          // Heartbeats reach the server at least this often, so the UI shows a live epoch/step.
          maxHeartbeatThrottleInterval: '10s',
          defaultHeartbeatThrottleInterval: '5s',
        }),
      );
    }
    if (o.queues.includes('cpu')) {
      workers.push(
        await Worker.create({
          connection,
          namespace: o.endpoints.temporal.namespace,
          taskQueue: TASK_QUEUES.cpu,
          workflowBundle: await workflowBundle(),
          activities,
          maxConcurrentActivityTaskExecutions: 2,
        }),
      );
    }
    log(`workers polling ${o.queues.map((q) => TASK_QUEUES[q]).join(', ')} at ${o.endpoints.temporal.address}`);
    const stop = () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
    signal?.addEventListener('abort', stop, { once: true });
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await connection.close();
  }
}
