// SeaweedFS in one process (`weed mini`) as the embedded S3 server: loopback only, data under
// <state>/s3/data, one identity (the configured access key) so the server is never open to all.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { S3Endpoint } from '../lib/store/s3Endpoint';
import { assertPortsFree, LOOPBACK } from './ports';
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
import { probeS3 } from './s3Probe';
import { findTool } from './tools';

export const S3_DEFAULT_PORT = 8333;

/** Every port `weed mini` listens on. */
export interface WeedPorts {
  s3: number;
  s3Grpc: number;
  master: number;
  masterGrpc: number;
  volume: number;
  volumeGrpc: number;
  filer: number;
  filerGrpc: number;
  admin: number;
  adminGrpc: number;
}

/** The S3 port and the internal ones next to it (s3+1..s3+4; gRPC = HTTP + 10000, SeaweedFS's
 * own rule). Away from weed's defaults (8888 is Jupyter's, 9333...), so one setting moves all. */
export function weedPortsFor(s3Port: number): WeedPorts {
  if (!Number.isInteger(s3Port) || s3Port < 1 || s3Port + 4 + 10_000 > 65_535) {
    throw new Error(`S3 port ${s3Port} is out of range: it must be an integer with s3Port + 10004 <= 65535`);
  }
  return {
    s3: s3Port,
    s3Grpc: s3Port + 10_000,
    master: s3Port + 1,
    masterGrpc: s3Port + 1 + 10_000,
    volume: s3Port + 2,
    volumeGrpc: s3Port + 2 + 10_000,
    filer: s3Port + 3,
    filerGrpc: s3Port + 3 + 10_000,
    admin: s3Port + 4,
    adminGrpc: s3Port + 4 + 10_000,
  };
}

export interface S3ServerOptions {
  stateDir: string;
  ports: WeedPorts;
  accessKey: string;
  secretKey: string;
  region: string;
  readyTimeoutMs: number;
  env: NodeJS.ProcessEnv;
}

export interface S3ServerInfo {
  endpoint: S3Endpoint;
  address: string;
  pid: number;
  logFile: string;
  reused: boolean;
}

export function s3Dir(stateDir: string): string {
  return path.join(stateDir, 's3');
}
export function s3RecordFile(stateDir: string): string {
  return path.join(s3Dir(stateDir), 'process.json');
}

export async function startS3Server(o: S3ServerOptions): Promise<S3ServerInfo> {
  const dir = s3Dir(o.stateDir);
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const recordFile = s3RecordFile(o.stateDir);
  const existing = readProcessRecord(recordFile);
  if (existing && isProcessAlive(existing.pid, existing.executable)) {
    const port = Number(existing.details.s3Port);
    const endpoint = endpointOf(port, o);
    // The probe uses the credentials asked for now: if the running server was started with
    // others it fails at once, naming the access key.
    await waitForReady({ ...readinessOf(existing), timeoutMs: o.readyTimeoutMs, probe: () => probeS3(endpoint) }).catch(
      (err: Error) => {
        throw new Error(
          `${err.message}\n(If the embedded S3 server was started with other credentials, run \`bgbias services down\` and start it again.)`,
        );
      },
    );
    return { endpoint, address: existing.address, pid: existing.pid, logFile: existing.logFile, reused: true };
  }
  if (existing) removeProcessRecord(recordFile);

  const executable = findTool('weed', o.env);
  const p = o.ports;
  await assertPortsFree(
    'the embedded S3 server (SeaweedFS)',
    { ...p },
    'Stop that process, choose another S3 port (BGBIAS_S3_PORT; the internal ports follow it), or point S3_ENDPOINT at a running S3 server.',
  );

  // The identity file: only this key pair may use the server (no anonymous access).
  const identitiesFile = path.join(dir, 'identities.json');
  const identities = {
    identities: [
      {
        name: 'bgbias',
        credentials: [{ accessKey: o.accessKey, secretKey: o.secretKey }],
        actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'],
      },
    ],
  };
  fs.writeFileSync(identitiesFile, JSON.stringify(identities, null, 2), { mode: 0o600 });
  fs.chmodSync(identitiesFile, 0o600);

  const args = [
    'mini',
    `-dir=${dataDir}`,
    `-ip=${LOOPBACK}`,
    `-ip.bind=${LOOPBACK}`, // its default is 0.0.0.0
    `-s3.port=${p.s3}`,
    `-s3.port.grpc=${p.s3Grpc}`,
    `-master.port=${p.master}`,
    `-master.port.grpc=${p.masterGrpc}`,
    `-volume.port=${p.volume}`,
    `-volume.port.grpc=${p.volumeGrpc}`,
    `-filer.port=${p.filer}`,
    `-filer.port.grpc=${p.filerGrpc}`,
    `-admin.port=${p.admin}`, // the admin server runs even without its UI
    `-admin.port.grpc=${p.adminGrpc}`,
    '-admin.ui=false',
    '-webdav=false',
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    '-master.telemetry=false',
    '-volume.preStopSeconds=0', // nobody to drain on loopback: stop at once
    `-s3.config=${identitiesFile}`,
  ];
  // Without -s3.config weed would also turn AWS_* variables into identities: keep them out.
  const env = { ...o.env };
  delete env.AWS_ACCESS_KEY_ID;
  delete env.AWS_SECRET_ACCESS_KEY;

  const address = `http://${LOOPBACK}:${p.s3}`;
  const logFile = path.join(dir, 'server.log');
  const { pid, logOffset } = spawnDetached(executable, args, { cwd: dir, logFile, env });
  const record: ProcessRecord = {
    service: 's3',
    pid,
    executable,
    args,
    address,
    logFile,
    logOffset,
    startedAt: new Date().toISOString(),
    details: { s3Port: p.s3, accessKey: o.accessKey, ports: p },
  };
  writeProcessRecord(recordFile, record);
  const endpoint = endpointOf(p.s3, o);
  try {
    await waitForReady({ ...readinessOf(record), timeoutMs: o.readyTimeoutMs, probe: () => probeS3(endpoint) });
  } catch (err) {
    await stopProcess(pid, executable, 10_000);
    removeProcessRecord(recordFile);
    throw err;
  }
  return { endpoint, address, pid, logFile, reused: false };
}

function endpointOf(port: number, o: S3ServerOptions): S3Endpoint {
  return { endPoint: LOOPBACK, port, useSSL: false, accessKey: o.accessKey, secretKey: o.secretKey, region: o.region };
}

function readinessOf(r: ProcessRecord) {
  return {
    what: 'embedded S3 server (SeaweedFS)',
    address: r.address,
    pid: r.pid,
    executable: r.executable,
    logFile: r.logFile,
    logOffset: r.logOffset,
  };
}
