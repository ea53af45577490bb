// Throwaway certificates for TLS tests, made at test time with the openssl CLI: a server CA and
// the server's certificate (for one DNS name only, so the client must send that name), a client CA
// and a client certificate (mTLS), and an unrelated CA that signed neither.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestCertificates {
  dir: string;
  serverName: string;
  serverCa: string;
  serverCert: string;
  serverKey: string;
  clientCa: string;
  clientCert: string;
  clientKey: string;
  otherCa: string;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error) throw new Error(`openssl not runnable (${r.error.message}); the TLS tests need the openssl CLI`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

// EC P-256: quick to generate, and accepted by both gRPC stacks (Node's for the client, rustls for
// the workers' core).
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): void {
  // prettier-ignore
  openssl(dir, [
    'req', '-x509', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2',
    '-subj', `/CN=bgbias test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function makeLeaf(dir: string, name: string, ca: string, cn: string, extensions: string[]): void {
  openssl(dir, ['req', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions.join('\n') + '\n');
  // prettier-ignore
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`,
  ]);
}

export function makeTestCertificates(dir: string, serverName = 'temporal.bgbias.test'): TestCertificates {
  fs.mkdirSync(dir, { recursive: true });
  makeCa(dir, 'server-ca');
  makeCa(dir, 'client-ca');
  makeCa(dir, 'other-ca');
  makeLeaf(dir, 'server', 'server-ca', serverName, [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=DNS:${serverName}`,
  ]);
  makeLeaf(dir, 'client', 'client-ca', 'bgbias-gpu-worker', [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=clientAuth',
  ]);
  const f = (n: string) => path.join(dir, n);
  return {
    dir,
    serverName,
    serverCa: f('server-ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCa: f('client-ca.pem'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    otherCa: f('other-ca.pem'),
  };
}
