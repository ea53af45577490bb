// The Temporal development server (`temporal server start-dev`), detached, on loopback, with its
// workflow history in a SQLite file under <state>/temporal/.
import * as path from 'node:path';
import { serviceDir, startOrReuse, type StartedServer } from './managedServer';
import { assertPortsFree, canConnect, LOOPBACK } from './ports';
import { tailLog } from './processRecord';
import { probeTemporal } from './temporalProbe';
import { findTool } from './tools';

export const TEMPORAL_DEFAULT_PORT = 7233;
export const TEMPORAL_DEFAULT_UI_PORT = 8233;
export type SearchAttributeType = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

export interface TemporalServerOptions {
  stateDir: string;
  port: number;
  /** Web UI port; undefined runs headless (no UI). */
  uiPort?: number;
  /** Pinned HTTP API / metrics ports (tests pick them so concurrent servers never race for ports). */
  httpPort?: number;
  metricsPort?: number;
  namespace: string;
  searchAttributes?: Record<string, SearchAttributeType>;
  readyTimeoutMs: number;
  env: NodeJS.ProcessEnv;
}

export interface TemporalServerInfo extends StartedServer {
  namespace: string;
  uiUrl?: string;
}

/** Starts the dev server, or reuses the one this state folder already runs. */
export async function startTemporalServer(o: TemporalServerOptions): Promise<TemporalServerInfo> {
  const dir = serviceDir(o.stateDir, 'temporal');
  const { record, reused } = await startOrReuse({
    service: 'temporal',
    what: 'Temporal dev server',
    stateDir: o.stateDir,
    readyTimeoutMs: o.readyTimeoutMs,
    probe: (r) => probeLocal(r.address, String(r.details.namespace ?? o.namespace)),
    retryStart: lostInternalPortRace,
    maxAttempts: INTERNAL_PORT_ATTEMPTS,
    stopGraceMs: 5_000,
    launch: async () => {
      const executable = findTool('temporal', o.env);
      const ports: Record<string, number> = { gRPC: o.port };
      if (o.uiPort !== undefined) ports['web UI'] = o.uiPort;
      if (o.httpPort !== undefined) ports['HTTP API'] = o.httpPort;
      if (o.metricsPort !== undefined) ports.metrics = o.metricsPort;
      await assertPortsFree(
        'the Temporal dev server',
        ports,
        'Stop that process, choose other ports (BGBIAS_TEMPORAL_PORT, BGBIAS_TEMPORAL_UI_PORT), or point TEMPORAL_ADDRESS at a running server.',
      );
      const args = [
        'server',
        'start-dev',
        '--ip',
        LOOPBACK,
        '--port',
        String(o.port),
        '--namespace',
        o.namespace,
        '--db-filename',
        path.join(dir, 'temporal.sqlite'),
        '--log-level',
        'warn',
      ];
      if (o.uiPort !== undefined) args.push('--ui-port', String(o.uiPort));
      else args.push('--headless');
      if (o.httpPort !== undefined) args.push('--http-port', String(o.httpPort));
      if (o.metricsPort !== undefined) args.push('--metrics-port', String(o.metricsPort));
      for (const [name, type] of Object.entries(o.searchAttributes ?? {}))
        args.push('--search-attribute', `${name}=${type}`);
      return {
        executable,
        args,
        env: o.env,
        address: `${LOOPBACK}:${o.port}`,
        uiUrl: o.uiPort !== undefined ? `http://${LOOPBACK}:${o.uiPort}` : undefined,
        details: { namespace: o.namespace },
      };
    },
  });
  return {
    address: record.address,
    namespace: String(record.details.namespace ?? o.namespace),
    uiUrl: record.uiUrl,
    pid: record.pid,
    logFile: record.logFile,
    reused,
  };
}

/**
 * The dev server's history, matching and worker services listen on ports it picks itself (free when
 * it looked, then bound a moment later); another process can take one in between, and the server
 * then dies with "Failed to start gRPC listener ... bind: address already in use" (seen in CI: the
 * history service's port). Our own ports were checked just before, so such a start is tried again
 * with fresh picks, a few times; any other failure is reported at once.
 */
const INTERNAL_PORT_ATTEMPTS = 3;

/** Whether the server's log since `logOffset` shows it lost a race for a listening port. */
export function lostInternalPortRace(logFile: string, logOffset: number): boolean {
  return /Failed to start gRPC listener.*bind: address already in use/.test(tailLog(logFile, logOffset, 50));
}

/** Port first (fails fast while the server is still starting or has died), then a real call. */
async function probeLocal(address: string, namespace: string): Promise<void> {
  const port = Number(address.split(':').pop());
  if (!(await canConnect(port, LOOPBACK, 1_000))) throw new Error(`nothing listens on ${address} yet`);
  await probeTemporal({ address }, namespace, 2_000);
}
