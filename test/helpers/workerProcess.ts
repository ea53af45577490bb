import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PAPER_DATA_ENV } from '../../contracts/paperData';
import type { ServiceEndpoints } from '../../services/embedded';
import { servicesEnv } from './cliProcess';

const WORKER_MAIN = path.resolve(__dirname, '../../workers/main.ts');

export interface WorkerProcess {
  child: ChildProcess;
  /** stdout and stderr of the process. */
  log: string;
}

/**
 * A worker process joined to running services as a worker on another machine would be: by
 * environment only (nothing inherited but PATH and HOME), with its own state folder and so its own
 * local cache. The paper's published data comes from `paperDataDir` (no network in tests).
 */
export function spawnWorkerProcess(opts: {
  endpoints: ServiceEndpoints;
  stateDir: string;
  log: string;
  paperDataDir: string;
  args?: readonly string[];
  /** More environment, e.g. BGBIAS_DATASET_SOURCES for a miniature dataset. */
  env?: Record<string, string>;
}): WorkerProcess {
  const out = fs.openSync(opts.log, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN, ...(opts.args ?? [])], {
    env: servicesEnv(opts.endpoints, {
      BGBIAS_STATE_DIR: opts.stateDir,
      [PAPER_DATA_ENV]: opts.paperDataDir,
      ...opts.env,
    }),
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  return { child, log: opts.log };
}

/**
 * A cpu-queue worker process started with exactly `env`, its output collected in memory: for the
 * tests that read what a worker prints while it connects (which store, which Temporal address).
 */
export function spawnCpuWorker(env: NodeJS.ProcessEnv): {
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then the exit code once it is gone. */
  stop(): Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN, '--queues', 'cpu'], {
    cwd: path.resolve(__dirname, '../..'),
    env,
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * Worker processes standing for separate machines, for the kill and resume tests: each started by
 * name with its own state (and cache) folder and log under `dir`; `killAll()` (in `after`) SIGKILLs
 * any still running, so a failed test leaves none behind.
 */
export class WorkerFleet {
  private readonly children: ChildProcess[] = [];
  constructor(
    private readonly o: {
      endpoints: () => ServiceEndpoints;
      dir: string;
      paperDataDir: string;
      args?: readonly string[];
      env?: Record<string, string>;
    },
  ) {}

  start(name: string): WorkerProcess {
    const worker = spawnWorkerProcess({
      endpoints: this.o.endpoints(),
      stateDir: path.join(this.o.dir, name),
      log: path.join(this.o.dir, `${name}.log`),
      paperDataDir: this.o.paperDataDir,
      args: this.o.args,
      env: this.o.env,
    });
    this.children.push(worker.child);
    return worker;
  }

  killAll(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

/**
 * SIGKILLs the worker process that is running an activity of type `activityType` in the workflow
 * `describe` describes, as soon as one is seen started (polled every 50 ms until `timeoutMs`); the
 * worker is found by the pid in the activity's last worker identity (`<pid>@<host>`). Returns that
 * pid and the attempt it was killed in.
 */
export async function killWorkerRunning(
  describe: () => Promise<{
    raw: {
      pendingActivities?: Array<{
        activityType?: { name?: string | null } | null;
        lastStartedTime?: unknown;
        lastWorkerIdentity?: string | null;
        attempt?: number | null;
      }> | null;
    };
  }>,
  activityType: string,
  workers: readonly WorkerProcess[],
  timeoutMs: number,
): Promise<{ pid: number; attempt: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`no ${activityType} was seen running within ${timeoutMs} ms`);
    const d = await describe().catch(() => undefined);
    for (const a of d?.raw.pendingActivities ?? []) {
      if (a.activityType?.name !== activityType || !a.lastStartedTime || !a.lastWorkerIdentity) continue;
      const pid = Number(/^(\d+)@/.exec(a.lastWorkerIdentity)?.[1]);
      const w = workers.find((x) => x.child.pid === pid);
      if (!w) continue;
      w.child.kill('SIGKILL');
      await new Promise((r) => w.child.once('exit', r));
      return { pid, attempt: a.attempt ?? 1 };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
