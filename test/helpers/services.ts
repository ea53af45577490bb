// Real Temporal and S3 servers for integration tests: started through the same code as
// `bgbias services up`, but on free random ports in a throwaway state folder, both at once.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureServices, stopServices, type ServiceEndpoints, type ServicesOptions } from '../../services/embedded';
import { freePorts } from '../../services/ports';

export interface TestServices {
  endpoints: ServiceEndpoints;
  stateDir: string;
  /** The options they were started with (to call ensureServices/servicesStatus on them again). */
  options: ServicesOptions;
  stop(): Promise<void>;
}

const running = new Set<string>();
// If a test process dies without calling stop(), do not leave servers behind.
process.once('exit', () => {
  for (const stateDir of running) {
    for (const file of ['temporal/process.json', 's3/process.json']) {
      try {
        const { pid } = JSON.parse(fs.readFileSync(path.join(stateDir, file), 'utf8')) as { pid: number };
        process.kill(pid, 'SIGKILL');
      } catch {
        // not running or already stopped
      }
    }
  }
});

export async function randomServiceOptions(stateDir: string): Promise<ServicesOptions> {
  const p = await freePorts(4);
  // env: only PATH and the binary locations, so the developer's TEMPORAL_ADDRESS/S3_* never leak in.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  if (process.env.TEMPORAL_CLI) env.TEMPORAL_CLI = process.env.TEMPORAL_CLI;
  if (process.env.MINIO_BIN) env.MINIO_BIN = process.env.MINIO_BIN;
  return {
    stateDir,
    env,
    temporalPort: p[0],
    temporalUiPort: null,
    temporalHttpPort: p[1],
    temporalMetricsPort: p[2],
    s3Port: p[3],
  };
}

export async function startTestServices(): Promise<TestServices> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-services-'));
  running.add(stateDir);
  const options = await randomServiceOptions(stateDir);
  let endpoints: ServiceEndpoints;
  try {
    endpoints = await ensureServices(options);
  } catch (err) {
    await stopServices({ stateDir, env: options.env, graceMs: 5_000 }).catch(() => undefined);
    running.delete(stateDir);
    fs.rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoints,
    stateDir,
    options,
    async stop() {
      await stopServices({ stateDir, env: options.env, graceMs: 10_000 });
      running.delete(stateDir);
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
