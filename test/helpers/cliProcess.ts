/**
 * The `bgbias` command as a user runs it, in a child process joined to the test services through
 * the environment (TEMPORAL_ADDRESS, S3_ENDPOINT and the key pair), with its output collected so a
 * test can wait for a line and read what the terminal showed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ServiceEndpoints } from '../../services/embedded';

export interface CliRun {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  /** Resolves with the output once it matches (rejects after `timeoutMs` or when the process ends first). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Exit code (null when killed by a signal), the output and the seconds since the start. */
  exited: Promise<{ code: number | null; output: string; seconds: number }>;
  kill(): void;
}

export const CLI_MAIN = path.resolve(__dirname, '../../cli/main.ts');

/** The environment that points a process at the test services, as on a machine joining a cluster. */
export function servicesEnv(endpoints: ServiceEndpoints, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { s3, temporal } = endpoints;
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: temporal.address,
    S3_ENDPOINT: `http://${s3.endPoint}:${s3.port}`,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    ...extra,
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, cwd = path.resolve(__dirname, '../..')): CliRun {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], { env, cwd });
  let out = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<{ code: number | null; output: string; seconds: number }>((resolve) =>
    child.once('close', (code) => {
      for (const l of listeners) l();
      resolve({ code, output: out, seconds: (Date.now() - t0) / 1000 });
    }),
  );
  return {
    child,
    output: () => out,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            done();
            resolve(out);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`bgbias ${args[0]} ended before printing ${pattern}; output:\n${out}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`bgbias ${args[0]} printed no ${pattern} within ${timeoutMs} ms; output:\n${out}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}
