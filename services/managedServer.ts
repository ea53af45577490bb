// One embedded server of a state folder (the Temporal dev server or the S3 server): where its files
// live, and how it is started detached, or reused while it runs, through its process record.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  isProcessAlive,
  readProcessRecord,
  removeProcessRecord,
  spawnDetached,
  stopProcess,
  writeProcessRecord,
  type ProcessRecord,
} from './processRecord';
import { waitForReady } from './readiness';

export type ServiceName = 'temporal' | 's3';

/** <state>/<service>/: the server's data, its log and the record of the running process. */
export function serviceDir(stateDir: string, service: ServiceName): string {
  return path.join(stateDir, service);
}
export function serviceRecordFile(stateDir: string, service: ServiceName): string {
  return path.join(serviceDir(stateDir, service), 'process.json');
}

/** What to run when no server of this state folder runs yet. */
export interface Launch {
  executable: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Where clients reach it ("127.0.0.1:7233", "http://127.0.0.1:8333"). */
  address: string;
  uiUrl?: string;
  /** Kept in the record for later calls (ports, namespace, access key; never a secret). */
  details: Record<string, unknown>;
}

export interface ManagedServerOptions {
  service: ServiceName;
  /** For messages: "Temporal dev server". */
  what: string;
  stateDir: string;
  readyTimeoutMs: number;
  /** A real request to the server the record describes; throws while it is not ready. */
  probe(record: ProcessRecord): Promise<void>;
  /** Finds the binary and checks the ports; called only when a server has to be started. */
  launch(): Promise<Launch>;
  /** Appended to the error when a running server does not answer as asked. */
  reuseHint?: string;
  /** Whether a start that failed (log written since logOffset) is worth trying again. */
  retryStart?(logFile: string, logOffset: number): boolean;
  /** Starts at most this many times when retryStart says so (default 3). */
  maxAttempts?: number;
  /** How long a failed start may take to stop (SIGTERM, then SIGKILL). */
  stopGraceMs?: number;
}

/** What starting or reusing a server tells its caller. */
export interface StartedServer {
  address: string;
  pid: number;
  logFile: string;
  /** true when it was already running and answered. */
  reused: boolean;
}

export interface ManagedServer {
  record: ProcessRecord;
  /** true when the server was already running and answered. */
  reused: boolean;
}

/** Reuses the state folder's running server when it answers, else starts one and waits for it. */
export async function startOrReuse(o: ManagedServerOptions): Promise<ManagedServer> {
  const dir = serviceDir(o.stateDir, o.service);
  // 0700: the data, the log and (for S3) the credentials are this user's only.
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const recordFile = serviceRecordFile(o.stateDir, o.service);
  const existing = readProcessRecord(recordFile);
  if (existing && isProcessAlive(existing.pid, existing.executable)) {
    await waitForReady({
      ...readinessOf(o.what, existing),
      timeoutMs: o.readyTimeoutMs,
      probe: () => o.probe(existing),
    }).catch((err: Error) => {
      throw o.reuseHint ? new Error(`${err.message}\n${o.reuseHint}`) : err;
    });
    return { record: existing, reused: true };
  }
  if (existing) removeProcessRecord(recordFile); // it died: start afresh on the same data

  const launch = await o.launch();
  const logFile = path.join(dir, 'server.log');
  for (let attempt = 1; ; attempt++) {
    const { pid, logOffset } = spawnDetached(launch.executable, launch.args, { cwd: dir, logFile, env: launch.env });
    const record: ProcessRecord = {
      service: o.service,
      pid,
      executable: launch.executable,
      args: launch.args,
      address: launch.address,
      uiUrl: launch.uiUrl,
      logFile,
      logOffset,
      startedAt: new Date().toISOString(),
      details: launch.details,
    };
    writeProcessRecord(recordFile, record);
    try {
      await waitForReady({ ...readinessOf(o.what, record), timeoutMs: o.readyTimeoutMs, probe: () => o.probe(record) });
      return { record, reused: false };
    } catch (err) {
      await stopProcess(pid, launch.executable, o.stopGraceMs ?? 10_000);
      removeProcessRecord(recordFile);
      if (attempt < (o.maxAttempts ?? 3) && o.retryStart?.(logFile, logOffset)) continue;
      throw err;
    }
  }
}

function readinessOf(what: string, r: ProcessRecord) {
  return {
    what,
    address: r.address,
    pid: r.pid,
    executable: r.executable,
    logFile: r.logFile,
    logOffset: r.logOffset,
  };
}
