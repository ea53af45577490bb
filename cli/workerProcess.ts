import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import type { WorkerPlan } from './workerPlan';

export interface WorkerChild {
  child: ChildProcess;
  logFile: string;
}

export interface WorkerProcess {
  /** Every process started (the all-in-one worker first, then extra training workers). */
  all: WorkerChild[];
  /** The first process that has exited (with a code, or killed by a signal), if any. */
  exited(): WorkerChild | undefined;
  stop(): Promise<void>;
}

/** A process has ended when it has an exit code or was killed by a signal (SIGKILL, OOM killer). */
const isDone = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

/** How an ended process ended, for error messages: 'code 1' or 'signal SIGKILL'. */
export function exitDescription(c: ChildProcess): string {
  return c.signalCode !== null ? `signal ${c.signalCode}` : `code ${c.exitCode}`;
}

/**
 * Starts the all-in-one worker (cpu + gpu queues) as a separate process, so training survives in its
 * own process (and can be killed and restarted without touching the CLI), plus plan.processes - 1
 * training-only workers (gpu queue; see workerPlan.ts); output goes to log files in the state folder
 * (worker.log, worker-2.log, ...).
 */
export function startWorkerProcess(stateDir: string, plan: WorkerPlan = { processes: 1 }): WorkerProcess {
  const logDir = path.join(stateDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const root = path.resolve(__dirname, '..');
  const threads = plan.threads === undefined ? [] : ['--threads', String(plan.threads)];
  const all: WorkerChild[] = [];
  for (let i = 0; i < plan.processes; i++) {
    const logFile = path.join(logDir, i === 0 ? 'worker.log' : `worker-${i + 1}.log`);
    const out = fs.openSync(logFile, 'a');
    const queues = i === 0 ? [] : ['--queues', 'gpu'];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'workers', 'main.ts'), ...queues, ...threads],
      {
        cwd: root,
        env: { ...process.env, BGBIAS_STATE_DIR: stateDir },
        stdio: ['ignore', out, out],
      },
    );
    fs.closeSync(out);
    all.push({ child, logFile });
  }
  const exitedPromises = all.map(
    ({ child }) => new Promise<void>((resolve) => (isDone(child) ? resolve() : child.once('exit', () => resolve()))),
  );
  // Ctrl-C on the CLI stops its workers too (the workflow itself lives on in Temporal: running the
  // same command again joins it, and a new worker resumes the training from its checkpoint).
  const onSignal = (sig: NodeJS.Signals) => {
    for (const { child } of all) child.kill('SIGTERM');
    console.error(
      `\n${sig}: worker stopped; the workflow goes on in Temporal. Run the same command again to resume watching ` +
        `(and working).`,
    );
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    all,
    exited: () => all.find(({ child }) => isDone(child)),
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
