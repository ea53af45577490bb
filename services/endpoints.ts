// What the rest of the program needs to reach the services, and how it is read from the
// environment when the user brings their own servers.
import { describeS3Endpoint, type S3Endpoint } from '../lib/store/s3Endpoint';
import { temporalTlsFromEnv, TLS_VARS, type TemporalTls } from './temporalTls';

export interface TemporalEndpoint {
  address: string;
  namespace: string;
  uiUrl?: string;
  /** TLS (and mTLS) settings; only for a server the user brings. */
  tls?: TemporalTls;
}

export interface ServiceEndpoints {
  temporal: TemporalEndpoint;
  s3: S3Endpoint;
  /** The services this call started ("temporal", "s3"); empty when all were running or external. */
  started: string[];
}

export const DEFAULT_S3_REGION = 'us-east-1';
export const DEFAULT_NAMESPACE = 'default';

function nonEmpty(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export function parseBoolean(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new Error(`${name}=${value}: expected true or false`);
}

export function parsePort(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > 65_535)
    throw new Error(`${name}=${value}: expected a port number 1-65535`);
  return n;
}

/** TEMPORAL_ADDRESS ("host:port") and its TLS settings when set, else undefined (embedded). */
export function externalTemporalFromEnv(env: NodeJS.ProcessEnv): TemporalEndpoint | undefined {
  const address = nonEmpty(env, 'TEMPORAL_ADDRESS');
  if (address === undefined) {
    const tlsVars = Object.values(TLS_VARS).filter((n) => nonEmpty(env, n) !== undefined);
    if (tlsVars.length > 0)
      throw new Error(
        `${tlsVars.join(', ')} ${tlsVars.length > 1 ? 'are' : 'is'} set but TEMPORAL_ADDRESS is not: TLS applies to a Temporal server you name in TEMPORAL_ADDRESS (the embedded dev server listens on loopback without TLS)`,
      );
    return undefined;
  }
  if (!/^[^\s/:]+:\d+$/.test(address) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(address)) {
    throw new Error(`TEMPORAL_ADDRESS=${address}: expected host:port, e.g. temporal.example.org:7233 (no scheme)`);
  }
  const tls = temporalTlsFromEnv(env);
  return {
    address,
    namespace: nonEmpty(env, 'TEMPORAL_NAMESPACE') ?? DEFAULT_NAMESPACE,
    uiUrl: nonEmpty(env, 'TEMPORAL_UI_URL'),
    ...(tls ? { tls } : {}),
  };
}

/** S3_ENDPOINT ("http(s)://host[:port]" or "host[:port]") + credentials when set, else undefined. */
export function externalS3FromEnv(env: NodeJS.ProcessEnv): S3Endpoint | undefined {
  const raw = nonEmpty(env, 'S3_ENDPOINT');
  if (raw === undefined) return undefined;
  const hasScheme = /^[a-z]+:\/\//i.test(raw);
  let url: URL;
  try {
    url = new URL(hasScheme ? raw : `http://${raw}`);
  } catch {
    throw new Error(`S3_ENDPOINT=${raw}: not a valid address; expected e.g. http://minio.example.org:9000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`S3_ENDPOINT=${raw}: scheme must be http or https`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.username) {
    throw new Error(`S3_ENDPOINT=${raw}: give only scheme, host and port (no path, query or credentials)`);
  }
  const sslVar = nonEmpty(env, 'S3_USE_SSL');
  const useSSL = hasScheme
    ? url.protocol === 'https:'
    : sslVar !== undefined
      ? parseBoolean('S3_USE_SSL', sslVar)
      : false;
  if (hasScheme && sslVar !== undefined && parseBoolean('S3_USE_SSL', sslVar) !== useSSL) {
    throw new Error(`S3_ENDPOINT=${raw} and S3_USE_SSL=${sslVar} disagree about TLS`);
  }
  const port = url.port !== '' ? Number(url.port) : useSSL ? 443 : 80;
  const accessKey = nonEmpty(env, 'S3_ACCESS_KEY');
  const secretKey = nonEmpty(env, 'S3_SECRET_KEY');
  const missing = [
    accessKey === undefined ? 'S3_ACCESS_KEY' : '',
    secretKey === undefined ? 'S3_SECRET_KEY' : '',
  ].filter(Boolean);
  if (missing.length > 0)
    throw new Error(`S3_ENDPOINT=${raw} is set but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    endPoint: host,
    port,
    useSSL,
    accessKey: accessKey!,
    secretKey: secretKey!,
    region: nonEmpty(env, 'S3_REGION') ?? DEFAULT_S3_REGION,
  };
}

/**
 * S3_ACCESS_KEY / S3_SECRET_KEY belong to the server S3_ENDPOINT names. Without S3_ENDPOINT the
 * embedded server runs with its own generated pair, so keys given alone would be silently unused
 * (and a user who meant an external store would write to the local one): refuse them.
 */
export function assertNoStrayS3Keys(env: NodeJS.ProcessEnv, credentialsFile: string): void {
  const given = ['S3_ACCESS_KEY', 'S3_SECRET_KEY'].filter((n) => nonEmpty(env, n) !== undefined);
  if (given.length === 0) return;
  throw new Error(
    `${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} set but S3_ENDPOINT is not: set S3_ENDPOINT to use ` +
      `that S3 server, or unset ${given.length > 1 ? 'them' : 'it'} to use the embedded one (its key pair is generated in ${credentialsFile})`,
  );
}

export { describeS3Endpoint };
