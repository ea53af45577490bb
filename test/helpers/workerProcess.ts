import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PAPER_DATA_ENV } from '../../contracts/paperData';
import type { ServiceEndpoints } from '../../services/embedded';

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
}): WorkerProcess {
  const { s3, temporal } = opts.endpoints;
  const out = fs.openSync(opts.log, 'w');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.resolve(__dirname, '../../workers/main.ts'), ...(opts.args ?? [])],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_ADDRESS: temporal.address,
        S3_ENDPOINT: `http://${s3.endPoint}:${s3.port}`,
        S3_ACCESS_KEY: s3.accessKey,
        S3_SECRET_KEY: s3.secretKey,
        BGBIAS_STATE_DIR: opts.stateDir,
        [PAPER_DATA_ENV]: opts.paperDataDir,
      },
      stdio: ['ignore', out, out],
    },
  );
  fs.closeSync(out);
  return { child, log: opts.log };
}
