import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

import { singleWorkerPlan, type WorkerPlan, type WorkerSpec } from './workerPlan';

export interface WorkerChild {
  child: ChildProcess;
  spec: WorkerSpec;
  logFile: string;
}

export interface WorkerProcess {
  /** Every process started, in plan order. */
  all: WorkerChild[];
  /** The first process that has exited (with a code, or killed by a signal), if any. */
  exited(): WorkerChild | undefined;
  /** Resolves when any process has exited. */
  anyExit: Promise<WorkerChild>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Also print every line of every process on this terminal, prefixed with its name (`bgbias worker
   * --gpus`). Output goes through pipes then; without echo the processes write to their log files
   * directly (they keep logging if the CLI dies).
   */
  echo?: boolean;
  /** Printed when Ctrl-C / SIGTERM stops the workers (default: `bgbias run`'s resume hint). */
  signalMessage?: string;
}

const DEFAULT_SIGNAL_MESSAGE =
  'worker stopped; the workflow goes on in Temporal. Run the same command again to resume watching (and working).';

/** A process has ended when it has an exit code or was killed by a signal (SIGKILL, OOM killer). */
const isDone = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

/** How an ended process ended, for error messages: 'code 1' or 'signal SIGKILL'. */
export function exitDescription(c: ChildProcess): string {
  return c.signalCode !== null ? `signal ${c.signalCode}` : `code ${c.exitCode}`;
}

/** The worker entry point, started as a process (cli/ does not import workers/: docs/CONVENTIONS.md). */
export const WORKER_MAIN = path.resolve(__dirname, '..', 'workers', 'main.ts');

/** workers/main.ts's command line for one planned process. */
export function workerArgs(spec: WorkerSpec): string[] {
  return [
    '--queues',
    spec.queues.join(','),
    ...(spec.threads === undefined ? [] : ['--threads', String(spec.threads)]),
    ...(spec.gpuSlots === undefined ? [] : ['--gpu-slots', String(spec.gpuSlots)]),
    ...(spec.backend === undefined ? [] : ['--backend', spec.backend]),
  ];
}

/**
 * Starts the planned worker processes (workers/main.ts, one per WorkerSpec: cli/workerPlan.ts), so
 * training survives in its own process and can be killed and restarted without touching the CLI;
 * output goes to <stateDir>/logs/<spec name>.log (worker.log, worker-2.log, worker-gpu0.log, ...).
 */
export function startWorkerProcess(
  stateDir: string,
  plan: WorkerPlan = singleWorkerPlan(),
  o: StartOptions = {},
): WorkerProcess {
  const logDir = path.join(stateDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const root = path.resolve(__dirname, '..');
  const all: WorkerChild[] = [];
  for (const spec of plan.processes) {
    const logFile = path.join(logDir, `${spec.name}.log`);
    const out = fs.openSync(logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN, ...workerArgs(spec)], {
      cwd: root,
      env: { ...process.env, BGBIAS_STATE_DIR: stateDir, ...spec.env },
      stdio: o.echo ? ['ignore', 'pipe', 'pipe'] : ['ignore', out, out],
    });
    if (o.echo) {
      const file = fs.createWriteStream(logFile, { fd: out });
      for (const stream of [child.stdout!, child.stderr!]) {
        readline.createInterface({ input: stream }).on('line', (line) => {
          file.write(`${line}\n`);
          process.stdout.write(`[${spec.name}] ${line}\n`);
        });
      }
      child.once('exit', () => setImmediate(() => file.end()));
    } else {
      fs.closeSync(out);
    }
    all.push({ child, spec, logFile });
  }
  const exitedPromises = all.map(
    (w) =>
      new Promise<WorkerChild>((resolve) => (isDone(w.child) ? resolve(w) : w.child.once('exit', () => resolve(w)))),
  );
  // Ctrl-C on the CLI stops its workers too (the workflow itself lives on in Temporal: running the
  // same command again joins it, and a new worker resumes the training from its checkpoint).
  const onSignal = (sig: NodeJS.Signals) => {
    for (const { child } of all) child.kill('SIGTERM');
    console.error(
      `
${sig}: ${o.signalMessage ?? DEFAULT_SIGNAL_MESSAGE}`,
    );
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    all,
    exited: () => all.find(({ child }) => isDone(child)),
    anyExit: Promise.race(exitedPromises),
    async stop() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      for (const { child } of all) if (!isDone(child)) child.kill('SIGTERM');
      const timer = setTimeout(() => all.forEach(({ child }) => isDone(child) || child.kill('SIGKILL')), 20_000);
      await Promise.all(exitedPromises);
      clearTimeout(timer);
    },
  };
}
