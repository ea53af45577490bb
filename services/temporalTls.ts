// TLS settings for a Temporal server the user brings (TEMPORAL_ADDRESS), read from the environment:
// the server's root CA and the client's certificate pair for mTLS, as Temporal documents it. The
// variable names are Temporal's own client environment configuration, the ones the `temporal` CLI
// reads for --tls-ca-path etc. (`temporal options`), so one environment serves the CLI, `bgbias`
// and the workers.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TLSConfig } from '@temporalio/client';

export const TLS_VARS = {
  enable: 'TEMPORAL_TLS',
  ca: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  cert: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  key: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  serverName: 'TEMPORAL_TLS_SERVER_NAME',
} as const;

/** Names other Temporal programs use for the same files (the web UI server, older tctl set-ups):
 * set alone they would be silently ignored, so they are refused with the name to use instead. */
const OTHER_NAMES: Record<string, string> = {
  TEMPORAL_TLS_CA: TLS_VARS.ca,
  TEMPORAL_TLS_CERT: TLS_VARS.cert,
  TEMPORAL_TLS_KEY: TLS_VARS.key,
};

export interface TemporalTls {
  /** What the SDK's Connection.connect / NativeConnection.connect take as `tls`. */
  config: TLSConfig;
  /** For messages: where each setting came from, never the key's content. */
  description: string;
}

function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function readPemFile(variable: string, file: string): Buffer {
  const resolved = path.resolve(file);
  try {
    return fs.readFileSync(resolved);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`${variable}=${file}: cannot read ${resolved} (${e.code ?? e.message})`, { cause: err });
  }
}

function checkCertificate(variable: string, file: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new Error(
      `${variable}=${file}: not a PEM certificate ("-----BEGIN CERTIFICATE-----" expected): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/**
 * The TLS settings, or undefined for a plain connection. TLS is on when TEMPORAL_TLS=true or any
 * file or name is given; files are read and checked now, so a wrong path or a key that does not
 * belong to its certificate is named before anything connects.
 */
export function temporalTlsFromEnv(env: NodeJS.ProcessEnv): TemporalTls | undefined {
  for (const [other, ours] of Object.entries(OTHER_NAMES))
    if (setting(env, other) !== undefined && setting(env, ours) === undefined)
      throw new Error(
        `${other} is set, but bgbias (like the temporal CLI) reads the ${other.slice('TEMPORAL_TLS_'.length).toLowerCase()} file from ${ours}: set that instead`,
      );
  const enable = setting(env, TLS_VARS.enable);
  const ca = setting(env, TLS_VARS.ca);
  const cert = setting(env, TLS_VARS.cert);
  const key = setting(env, TLS_VARS.key);
  const serverName = setting(env, TLS_VARS.serverName);
  const given = [
    [TLS_VARS.ca, ca],
    [TLS_VARS.cert, cert],
    [TLS_VARS.key, key],
    [TLS_VARS.serverName, serverName],
  ].filter(([, v]) => v !== undefined);

  let enabled: boolean;
  if (enable === undefined) enabled = given.length > 0;
  else if (/^(1|true|yes|on)$/i.test(enable)) enabled = true;
  else if (/^(0|false|no|off)$/i.test(enable)) enabled = false;
  else throw new Error(`${TLS_VARS.enable}=${enable}: expected true or false`);
  if (!enabled) {
    if (given.length > 0)
      throw new Error(
        `${TLS_VARS.enable}=${enable} turns TLS off, but ${given.map(([n]) => n).join(', ')} ${given.length > 1 ? 'are' : 'is'} set: remove one or the other`,
      );
    return undefined;
  }
  if ((cert === undefined) !== (key === undefined))
    throw new Error(
      `mTLS needs both ${TLS_VARS.cert} (client certificate) and ${TLS_VARS.key} (its private key); only ${cert !== undefined ? TLS_VARS.cert : TLS_VARS.key} is set`,
    );

  const config: TLSConfig = {};
  const parts: string[] = [];
  if (ca !== undefined) {
    const pem = readPemFile(TLS_VARS.ca, ca);
    checkCertificate(TLS_VARS.ca, ca, pem);
    config.serverRootCACertificate = pem;
    parts.push(`server CA ${TLS_VARS.ca}=${ca}`);
  } else parts.push("the system's root CAs");
  if (cert !== undefined && key !== undefined) {
    const crt = readPemFile(TLS_VARS.cert, cert);
    const x509 = checkCertificate(TLS_VARS.cert, cert, crt);
    const keyPem = readPemFile(TLS_VARS.key, key);
    let privateKey;
    try {
      privateKey = createPrivateKey(keyPem);
    } catch (err) {
      throw new Error(`${TLS_VARS.key}=${key}: not a PEM private key: ${(err as Error).message}`, { cause: err });
    }
    if (!x509.checkPrivateKey(privateKey))
      throw new Error(`${TLS_VARS.key}=${key} is not the private key of the certificate in ${TLS_VARS.cert}=${cert}`);
    config.clientCertPair = { crt, key: keyPem };
    parts.push(`client certificate ${TLS_VARS.cert}=${cert}`);
  }
  if (serverName !== undefined) {
    config.serverNameOverride = serverName;
    parts.push(`server name ${TLS_VARS.serverName}=${serverName}`);
  }
  return { config, description: `TLS with ${parts.join(', ')}` };
}

/** "host:7233" or "host:7233 (TLS with server CA TEMPORAL_TLS_CA=..., ...)". */
export function describeTemporal(t: { address: string; tls?: TemporalTls }): string {
  return t.tls ? `${t.address} (${t.tls.description})` : t.address;
}

/** The options every Connection.connect / NativeConnection.connect of bgbias is given. */
export function temporalConnectOptions(t: { address: string; tls?: TemporalTls }): {
  address: string;
  tls?: TLSConfig;
} {
  return t.tls ? { address: t.address, tls: t.tls.config } : { address: t.address };
}
