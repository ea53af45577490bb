import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface WorkerProcess {
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts the all-in-one worker (cpu + gpu queues) as a separate process, so training survives in its
 * own process (and can be killed and restarted without touching the CLI); its output goes to a log
 * file in the state folder.
 */
export function startWorkerProcess(stateDir: string, extraArgs: string[] = []): WorkerProcess {
  const logDir = path.join(stateDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, 'worker.log');
  const out = fs.openSync(logFile, 'a');
  const root = path.resolve(__dirname, '..');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'workers', 'main.ts'), ...extraArgs], {
    cwd: root,
    env: { ...process.env, BGBIAS_STATE_DIR: stateDir },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ctrl-C on the CLI stops its worker too (the workflow itself lives on in Temporal: running the
  // same command again joins it, and a new worker resumes the training from its checkpoint).
  const onSignal = (sig: NodeJS.Signals) => {
    child.kill('SIGTERM');
    console.error(`\n${sig}: worker stopped; the workflow goes on in Temporal. Run the same command again to resume watching (and working).`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    child,
    logFile,
    async stop() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
