// Real Temporal and S3 servers for integration tests: started through the same code as
// `bgbias services up`, but on free random ports in a throwaway state folder, both at once.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureServices, stopServices, type ServiceEndpoints, type ServicesOptions } from '../../services/embedded';
import { freePorts } from '../../services/ports';
import type { WeedPorts } from '../../services/s3Server';

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
  const p = await freePorts(13);
  const weedPorts: WeedPorts = {
    s3: p[0],
    s3Grpc: p[1],
    master: p[2],
    masterGrpc: p[3],
    volume: p[4],
    volumeGrpc: p[5],
    filer: p[6],
    filerGrpc: p[7],
    admin: p[8],
    adminGrpc: p[9],
  };
  // env: only PATH and the binary locations, so the developer's TEMPORAL_ADDRESS/S3_* never leak in.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  if (process.env.TEMPORAL_CLI) env.TEMPORAL_CLI = process.env.TEMPORAL_CLI;
  if (process.env.WEED_BIN) env.WEED_BIN = process.env.WEED_BIN;
  return {
    stateDir,
    env,
    temporalPort: p[10],
    temporalUiPort: null,
    temporalHttpPort: p[11],
    temporalMetricsPort: p[12],
    weedPorts,
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
