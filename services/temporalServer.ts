// The Temporal development server (`temporal server start-dev`), detached, on loopback, with its
// workflow history in a SQLite file under <state>/temporal/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertPortsFree, canConnect, LOOPBACK } from './ports';
import {
  isProcessAlive,
  readProcessRecord,
  removeProcessRecord,
  spawnDetached,
  stopProcess,
  tailLog,
  writeProcessRecord,
  type ProcessRecord,
} from './processRecord';
import { waitForReady } from './readiness';
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

export interface TemporalServerInfo {
  address: string;
  namespace: string;
  uiUrl?: string;
  pid: number;
  logFile: string;
  reused: boolean;
}

export function temporalDir(stateDir: string): string {
  return path.join(stateDir, 'temporal');
}
export function temporalRecordFile(stateDir: string): string {
  return path.join(temporalDir(stateDir), 'process.json');
}

/** Starts the dev server, or reuses the one this state folder already runs. */
export async function startTemporalServer(o: TemporalServerOptions): Promise<TemporalServerInfo> {
  const dir = temporalDir(o.stateDir);
  fs.mkdirSync(dir, { recursive: true });
  const recordFile = temporalRecordFile(o.stateDir);
  const existing = readProcessRecord(recordFile);
  if (existing && isProcessAlive(existing.pid, existing.executable)) {
    const namespace = String(existing.details.namespace ?? o.namespace);
    await waitForReady({
      ...readinessOf(existing),
      timeoutMs: o.readyTimeoutMs,
      probe: () => probeLocal(existing.address, namespace),
    });
    return {
      address: existing.address,
      namespace,
      uiUrl: existing.uiUrl,
      pid: existing.pid,
      logFile: existing.logFile,
      reused: true,
    };
  }
  if (existing) removeProcessRecord(recordFile); // it died: start afresh on the same database

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

  const address = `${LOOPBACK}:${o.port}`;
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

  const logFile = path.join(dir, 'server.log');
  const uiUrl = o.uiPort !== undefined ? `http://${LOOPBACK}:${o.uiPort}` : undefined;
  for (let attempt = 1; ; attempt++) {
    const { pid, logOffset } = spawnDetached(executable, args, { cwd: dir, logFile, env: o.env });
    const record: ProcessRecord = {
      service: 'temporal',
      pid,
      executable,
      args,
      address,
      uiUrl,
      logFile,
      logOffset,
      startedAt: new Date().toISOString(),
      details: { namespace: o.namespace },
    };
    writeProcessRecord(recordFile, record);
    try {
      await waitForReady({
        ...readinessOf(record),
        timeoutMs: o.readyTimeoutMs,
        probe: () => probeLocal(address, o.namespace),
      });
      return { address, namespace: o.namespace, uiUrl, pid, logFile, reused: false };
    } catch (err) {
      await stopProcess(pid, executable, 5_000);
      removeProcessRecord(recordFile);
      if (attempt < INTERNAL_PORT_ATTEMPTS && lostInternalPortRace(logFile, logOffset)) continue;
      throw err;
    }
  }
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
  await probeTemporal(address, namespace, 2_000);
}

function readinessOf(r: ProcessRecord) {
  return {
    what: 'Temporal dev server',
    address: r.address,
    pid: r.pid,
    executable: r.executable,
    logFile: r.logFile,
    logOffset: r.logOffset,
  };
}
