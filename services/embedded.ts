// The services a run needs: the user's own (TEMPORAL_ADDRESS, S3_ENDPOINT) or the embedded ones,
// which this module starts detached on loopback, reuses while they run, and stops on request.
import { describeS3Endpoint, type S3Endpoint } from '../lib/store/s3Endpoint';
import {
  assertNoStrayS3Keys,
  externalS3FromEnv,
  externalTemporalFromEnv,
  parsePort,
  DEFAULT_NAMESPACE,
  type ServiceEndpoints,
} from './endpoints';
import { isProcessAlive, readProcessRecord, removeProcessRecord, sleep, stopProcess } from './processRecord';
import { probeS3 } from './s3Probe';
import { loadOrCreateS3Credentials, readS3Credentials, s3CredentialsFile } from './s3Credentials';
import { EMBEDDED_S3_REGION, startS3Server, S3_DEFAULT_PORT } from './s3Server';
import { serviceRecordFile } from './managedServer';
import { isPortFree } from './ports';
import { resolveStateDir } from './stateDir';
import { withStateLock } from './stateLock';
import { probeTemporal } from './temporalProbe';
import { describeTemporal } from './temporalTls';
import {
  startTemporalServer,
  TEMPORAL_DEFAULT_PORT,
  TEMPORAL_DEFAULT_UI_PORT,
  type SearchAttributeType,
} from './temporalServer';

export type { ServiceEndpoints } from './endpoints';

export interface ServicesOptions {
  /** State folder; default BGBIAS_STATE_DIR, else <repo>/.bgbias. */
  stateDir?: string;
  /** Environment to read settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Temporal gRPC port; default BGBIAS_TEMPORAL_PORT, else 7233. */
  temporalPort?: number;
  /** Temporal web UI port, or null for no UI; default BGBIAS_TEMPORAL_UI_PORT, else 8233. */
  temporalUiPort?: number | null;
  temporalHttpPort?: number;
  temporalMetricsPort?: number;
  /** The S3 server's port; default BGBIAS_S3_PORT, else 8333. */
  s3Port?: number;
  namespace?: string;
  searchAttributes?: Record<string, SearchAttributeType>;
  /** How long a starting server may take to answer (default 60 s: generous for 2 busy cores). */
  readyTimeoutMs?: number;
  /** How long to retry an external server before reporting it unreachable (default 15 s). */
  externalTimeoutMs?: number;
  /** Progress lines ("started Temporal dev server at ..."). */
  log?: (line: string) => void;
}

export interface ServiceStatus {
  service: 'temporal' | 's3';
  mode: 'embedded' | 'external';
  address: string;
  /** embedded only */
  pid?: number;
  /** embedded: the process runs; external: not applicable (undefined) */
  alive?: boolean;
  /** whether it answered a real request just now */
  answering: boolean;
  uiUrl?: string;
  logFile?: string;
  error?: string;
}

const DEFAULT_READY_TIMEOUT_MS = 60_000;
const DEFAULT_EXTERNAL_TIMEOUT_MS = 15_000;

export async function ensureServices(opts: ServicesOptions = {}): Promise<ServiceEndpoints> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const externalTemporal = externalTemporalFromEnv(env);
  const externalS3 = externalS3FromEnv(env);
  const started: string[] = [];

  const temporalTask = async (): Promise<ServiceEndpoints['temporal']> => {
    if (externalTemporal) {
      await retryUntil(opts.externalTimeoutMs ?? DEFAULT_EXTERNAL_TIMEOUT_MS, (leftMs) =>
        probeTemporal(externalTemporal, externalTemporal.namespace, Math.min(5_000, Math.max(250, leftMs))),
      ).catch((err: Error) => {
        throw new Error(
          `Temporal server at ${describeTemporal(externalTemporal)} (TEMPORAL_ADDRESS) is unreachable or unusable: ${err.message}`,
        );
      });
      return externalTemporal;
    }
    const info = await startTemporalServer({
      stateDir,
      port: opts.temporalPort ?? envPort(env, 'BGBIAS_TEMPORAL_PORT') ?? TEMPORAL_DEFAULT_PORT,
      uiPort:
        opts.temporalUiPort === null
          ? undefined
          : (opts.temporalUiPort ?? envPort(env, 'BGBIAS_TEMPORAL_UI_PORT') ?? TEMPORAL_DEFAULT_UI_PORT),
      httpPort: opts.temporalHttpPort,
      metricsPort: opts.temporalMetricsPort,
      namespace: opts.namespace ?? DEFAULT_NAMESPACE,
      searchAttributes: opts.searchAttributes,
      readyTimeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      env,
    });
    if (!info.reused) started.push('temporal');
    log(
      `${info.reused ? 'reusing' : 'started'} Temporal dev server at ${info.address} (pid ${info.pid}${info.uiUrl ? `, UI ${info.uiUrl}` : ''}, log ${info.logFile})`,
    );
    return { address: info.address, namespace: info.namespace, uiUrl: info.uiUrl };
  };

  const s3Task = async (): Promise<S3Endpoint> => {
    if (externalS3) {
      await retryUntil(opts.externalTimeoutMs ?? DEFAULT_EXTERNAL_TIMEOUT_MS, () => probeS3(externalS3)).catch(
        (err: Error) => {
          throw new Error(
            `S3 server at ${describeS3Endpoint(externalS3)} (S3_ENDPOINT) is unreachable or unusable: ${err.message}`,
          );
        },
      );
      return externalS3;
    }
    assertNoStrayS3Keys(env, s3CredentialsFile(stateDir));
    const info = await startS3Server({
      stateDir,
      port: opts.s3Port ?? envPort(env, 'BGBIAS_S3_PORT') ?? S3_DEFAULT_PORT,
      ...loadOrCreateS3Credentials(stateDir),
      readyTimeoutMs: opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      env,
    });
    if (!info.reused) started.push('s3');
    log(
      `${info.reused ? 'reusing' : 'started'} embedded S3 server at ${info.address} (pid ${info.pid}, log ${info.logFile})`,
    );
    return info.endpoint;
  };

  const needsEmbedded = !externalTemporal || !externalS3;
  const stateDir = needsEmbedded ? resolveStateDir(opts.stateDir, env) : '';
  const run = async () => {
    // Both at once: start-up time is the slower of the two, not the sum.
    const [temporal, s3] = await Promise.allSettled([temporalTask(), s3Task()]);
    const errors = [temporal, s3]
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => (r.reason instanceof Error ? r.reason.message : String(r.reason)));
    if (errors.length > 0) throw new Error(errors.join('\n\n'));
    return {
      temporal: (temporal as PromiseFulfilledResult<ServiceEndpoints['temporal']>).value,
      s3: (s3 as PromiseFulfilledResult<S3Endpoint>).value,
      started,
    };
  };
  return needsEmbedded ? withStateLock(stateDir, (opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS) * 2, run) : run();
}

/** Stops the embedded servers of the state folder (SIGTERM, SIGKILL after a grace period). */
export async function stopServices(
  opts: Pick<ServicesOptions, 'stateDir' | 'env' | 'log'> & { graceMs?: number } = {},
): Promise<Array<{ service: string; result: 'stopped' | 'killed' | 'not-running' }>> {
  const env = opts.env ?? process.env;
  const stateDir = resolveStateDir(opts.stateDir, env);
  const log = opts.log ?? (() => undefined);
  return withStateLock(stateDir, 120_000, async () =>
    Promise.all(
      (
        [
          ['temporal', serviceRecordFile(stateDir, 'temporal')],
          ['s3', serviceRecordFile(stateDir, 's3')],
        ] as const
      ).map(async ([service, file]) => {
        const record = readProcessRecord(file);
        if (!record) {
          log(`${service}: not running (no record in ${file})`);
          return { service, result: 'not-running' as const };
        }
        const result = await stopProcess(record.pid, record.executable, opts.graceMs ?? 15_000);
        await waitForPortRelease(record.address);
        removeProcessRecord(file);
        log(`${service}: ${result} (pid ${record.pid})`);
        return { service, result };
      }),
    ),
  );
}

/** Where each service is and whether it answers; starts nothing. */
export async function servicesStatus(opts: Pick<ServicesOptions, 'stateDir' | 'env'> = {}): Promise<ServiceStatus[]> {
  const env = opts.env ?? process.env;
  const externalTemporal = externalTemporalFromEnv(env);
  const externalS3 = externalS3FromEnv(env);
  const stateDir = !externalTemporal || !externalS3 ? resolveStateDir(opts.stateDir, env) : '';
  const answer = async (probe: () => Promise<unknown>): Promise<{ answering: boolean; error?: string }> => {
    try {
      await probe();
      return { answering: true };
    } catch (err) {
      return { answering: false, error: err instanceof Error ? err.message : String(err) };
    }
  };

  const temporal = async (): Promise<ServiceStatus> => {
    if (externalTemporal) {
      return {
        service: 'temporal',
        mode: 'external',
        address: externalTemporal.address,
        uiUrl: externalTemporal.uiUrl,
        ...(await answer(() => probeTemporal(externalTemporal, externalTemporal.namespace, 3_000))),
      };
    }
    const r = readProcessRecord(serviceRecordFile(stateDir, 'temporal'));
    if (!r)
      return {
        service: 'temporal',
        mode: 'embedded',
        address: `127.0.0.1:${envPort(env, 'BGBIAS_TEMPORAL_PORT') ?? TEMPORAL_DEFAULT_PORT}`,
        alive: false,
        answering: false,
        error: 'not started',
      };
    const alive = isProcessAlive(r.pid, r.executable);
    const namespace = String(r.details.namespace ?? DEFAULT_NAMESPACE);
    const probe = alive
      ? await answer(() => probeTemporal({ address: r.address }, namespace, 3_000))
      : { answering: false, error: 'process is not running' };
    return {
      service: 'temporal',
      mode: 'embedded',
      address: r.address,
      pid: r.pid,
      alive,
      uiUrl: r.uiUrl,
      logFile: r.logFile,
      ...probe,
    };
  };

  const s3 = async (): Promise<ServiceStatus> => {
    if (externalS3)
      return {
        service: 's3',
        mode: 'external',
        address: describeS3Endpoint(externalS3),
        ...(await answer(() => probeS3(externalS3))),
      };
    const r = readProcessRecord(serviceRecordFile(stateDir, 's3'));
    if (!r)
      return {
        service: 's3',
        mode: 'embedded',
        address: `http://127.0.0.1:${envPort(env, 'BGBIAS_S3_PORT') ?? S3_DEFAULT_PORT}`,
        alive: false,
        answering: false,
        error: 'not started',
      };
    const alive = isProcessAlive(r.pid, r.executable);
    const probe = !alive
      ? { answering: false, error: 'process is not running' }
      : await answer(async () => {
          const keys = readS3Credentials(stateDir);
          if (!keys) throw new Error(`no credentials file ${s3CredentialsFile(stateDir)}`);
          const endpoint: S3Endpoint = {
            endPoint: '127.0.0.1',
            port: Number(r.details.s3Port),
            useSSL: false,
            region: EMBEDDED_S3_REGION,
            ...keys,
          };
          await probeS3(endpoint);
        });
    return { service: 's3', mode: 'embedded', address: r.address, pid: r.pid, alive, logFile: r.logFile, ...probe };
  };

  return Promise.all([temporal(), s3()]);
}

function envPort(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : parsePort(name, v);
}

async function retryUntil(timeoutMs: number, fn: (leftMs: number) => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fn(deadline - Date.now());
      return;
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal || Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

/**
 * A stopped server's listening port can stay taken for a moment after its process has exited (the
 * kernel closes its sockets while the exit completes); `down` promises free ports, so wait (max 5 s).
 */
async function waitForPortRelease(address: string): Promise<void> {
  const port = Number(/:(\d+)\/?$/.exec(address)?.[1]);
  if (!Number.isInteger(port)) return;
  for (let i = 0; i < 50 && !(await isPortFree(port)); i++) await sleep(100);
}
