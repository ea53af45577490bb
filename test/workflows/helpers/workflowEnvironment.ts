/**
 * A real Temporal dev server through @temporalio/testing (the project's own binary: createLocal's
 * default download from temporal.download is not reachable everywhere) and workers that run the
 * real workflow code against stubbed activities.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { Activities } from '../../../activities';
import { freePorts } from '../../../services/ports';
import { findTool } from '../../../services/tools';
import { TASK_QUEUES } from '../../../contracts/ids';
import { EXPERIMENT, PRESET, STAGE } from '../../../contracts/searchAttributes';

const quiet = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };

export interface WorkflowTestBed {
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

/** Server + a cpu worker (workflows and cpu activities) + a gpu worker, until `stop()`. */
export async function startWorkflowTestBed(activities: Activities, gpuSlots: number): Promise<WorkflowTestBed> {
  // ERROR: the failure tests fail activities on purpose, and the SDK warns about each.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  // Pinned HTTP port: the dev server would otherwise pick one itself and may race other servers for it.
  const [port, httpPort] = await freePorts(2);
  const [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: findTool('temporal') },
        port,
        extraArgs: ['--http-port', String(httpPort)],
        searchAttributes: [EXPERIMENT, PRESET, STAGE],
        log: { format: 'pretty', level: 'error' },
      },
    }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../../workflows'), logger: quiet }),
  ]);
  let workers: Worker[] = [];
  let running: Promise<unknown> | undefined;
  try {
    workers = await createWorkers(env, bundle, activities, gpuSlots);
    running = Promise.all(workers.map((w) => w.run()));
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return {
    env,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running?.catch(() => undefined);
      await env.teardown();
    },
  };
}

async function createWorkers(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundleWithSourceMap,
  activities: Activities,
  gpuSlots: number,
): Promise<Worker[]> {
  const common = { connection: env.nativeConnection, namespace: env.namespace ?? 'default', activities };
  return [
    await Worker.create({ ...common, taskQueue: TASK_QUEUES.cpu, workflowBundle }),
    await Worker.create({ ...common, taskQueue: TASK_QUEUES.gpu, maxConcurrentActivityTaskExecutions: gpuSlots }),
  ];
}
