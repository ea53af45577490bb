// MinIO as the embedded S3 server, the same server docker-compose.yml runs in production, closed
// by default: only the S3 API, on loopback, with the state folder's generated key pair, no web
// console, no CORS for any web page. Data under <state>/s3/minio-data. MinIO is AGPL-3.0: it runs
// as a separate process, never linked.
import * as path from 'node:path';
import type { S3Endpoint } from '../lib/store/s3Endpoint';
import { serviceDir, startOrReuse, type StartedServer } from './managedServer';
import { assertPortsFree, LOOPBACK } from './ports';
import { s3CredentialsFile } from './s3Credentials';
import { probeS3 } from './s3Probe';
import { findTool } from './tools';

export const S3_DEFAULT_PORT = 8333;
/** The region the embedded server answers for (MinIO's default). */
export const EMBEDDED_S3_REGION = 'us-east-1';

/**
 * MinIO answers cross-origin requests from any web page by default: it reflects the request's
 * Origin in Access-Control-Allow-Origin, with credentials allowed. It matches the Origin against
 * this list instead; a name under .invalid (RFC 6761) never resolves, so no page has this origin and
 * no foreign page gets CORS headers. (Not "null": sandboxed frames and file:// pages send that.)
 */
export const NO_CORS_ORIGIN = 'https://cors-disabled.invalid';

export interface S3ServerOptions {
  stateDir: string;
  port: number;
  accessKey: string;
  secretKey: string;
  readyTimeoutMs: number;
  env: NodeJS.ProcessEnv;
}

export interface S3ServerInfo extends StartedServer {
  endpoint: S3Endpoint;
}
/** MinIO's data folder (a new name: SeaweedFS's <state>/s3/data of earlier versions stays untouched). */
export function s3DataDir(stateDir: string): string {
  return path.join(serviceDir(stateDir, 's3'), 'minio-data');
}

/** The settings MinIO reads from its environment; nothing of the caller's MINIO_* passes through
 * (a MINIO_BROWSER=on or MINIO_CONFIG_ENV_FILE there must not reopen what we close). */
export function minioEnvironment(env: NodeJS.ProcessEnv, keys: { accessKey: string; secretKey: string }) {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('MINIO_')) out[k] = v;
  return {
    ...out,
    MINIO_ROOT_USER: keys.accessKey,
    MINIO_ROOT_PASSWORD: keys.secretKey,
    // No console: without this MinIO serves its web UI on a random port on ALL interfaces.
    MINIO_BROWSER: 'off',
    MINIO_API_CORS_ALLOW_ORIGIN: NO_CORS_ORIGIN,
    MINIO_UPDATE: 'off',
  };
}

export async function startS3Server(o: S3ServerOptions): Promise<S3ServerInfo> {
  const endpointAt = (port: number): S3Endpoint => ({
    endPoint: LOOPBACK,
    port,
    useSSL: false,
    accessKey: o.accessKey,
    secretKey: o.secretKey,
    region: EMBEDDED_S3_REGION,
  });
  const { record, reused } = await startOrReuse({
    service: 's3',
    what: 'embedded S3 server (MinIO)',
    stateDir: o.stateDir,
    readyTimeoutMs: o.readyTimeoutMs,
    // The probe signs with the key pair of the credentials file: a server started with another
    // pair fails at once, naming the access key.
    probe: (r) => probeS3(endpointAt(Number(r.details.s3Port))),
    reuseHint: `(If the embedded S3 server was started with other credentials than ${s3CredentialsFile(o.stateDir)}, run \`bgbias services down\` and start it again.)`,
    launch: async () => {
      const executable = findTool('minio', o.env);
      await assertPortsFree(
        'the embedded S3 server (MinIO)',
        { S3: o.port },
        'Stop that process, choose another S3 port (BGBIAS_S3_PORT), or point S3_ENDPOINT at a running S3 server.',
      );
      return {
        executable,
        // --address with an IP: MinIO listens on that address and its IPv6 twin [::1] only.
        // --anonymous: never print the root credentials (MinIO shows them on a terminal).
        args: ['server', s3DataDir(o.stateDir), '--address', `${LOOPBACK}:${o.port}`, '--anonymous'],
        env: minioEnvironment(o.env, o),
        address: `http://${LOOPBACK}:${o.port}`,
        details: { s3Port: o.port, accessKey: o.accessKey },
      };
    },
  });
  return {
    endpoint: endpointAt(Number(record.details.s3Port)),
    address: record.address,
    pid: record.pid,
    logFile: record.logFile,
    reused,
  };
}
