import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { externalTemporalFromEnv } from '../../../services/endpoints';
import { temporalTlsFromEnv } from '../../../services/temporalTls';
import { makeTestCertificates, type TestCertificates } from '../../helpers/testCertificates';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-tls-unit-'));
let certs: TestCertificates;
before(() => {
  certs = makeTestCertificates(path.join(dir, 'certs'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const full = () => ({
  TEMPORAL_ADDRESS: 'temporal.example.org:7233',
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.serverCa,
  TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
  TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
  TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
});

test('the full mTLS set gives the SDK the files as read, the server name, and a description without the key', () => {
  const t = externalTemporalFromEnv(full())!;
  assert.equal(t.address, 'temporal.example.org:7233');
  assert.deepEqual(Buffer.from(t.tls!.config.serverRootCACertificate!), fs.readFileSync(certs.serverCa));
  assert.deepEqual(Buffer.from(t.tls!.config.clientCertPair!.crt), fs.readFileSync(certs.clientCert));
  assert.deepEqual(Buffer.from(t.tls!.config.clientCertPair!.key), fs.readFileSync(certs.clientKey));
  assert.equal(t.tls!.config.serverNameOverride, 'temporal.internal');
  assert.equal(
    t.tls!.description,
    `TLS with server CA TEMPORAL_TLS_SERVER_CA_CERT_PATH=${certs.serverCa}, client certificate TEMPORAL_TLS_CLIENT_CERT_PATH=${certs.clientCert}, server name TEMPORAL_TLS_SERVER_NAME=temporal.internal`,
  );
  assert.ok(!t.tls!.description.includes('PRIVATE KEY'));
});

test('no TLS variable: a plain connection; TEMPORAL_TLS=true alone: TLS with the system roots', () => {
  assert.equal(externalTemporalFromEnv({ TEMPORAL_ADDRESS: 'h:7233' })!.tls, undefined);
  const t = temporalTlsFromEnv({ TEMPORAL_TLS: 'true' })!;
  assert.deepEqual(t.config, {});
  assert.equal(t.description, "TLS with the system's root CAs");
});

test('a file that cannot be read names the variable, the file and why', () => {
  const missing = path.join(dir, 'nope.pem');
  assert.throws(
    () => temporalTlsFromEnv({ ...full(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing }),
    new RegExp(`^Error: TEMPORAL_TLS_SERVER_CA_CERT_PATH=${missing}: cannot read ${missing} \\(ENOENT\\)$`),
  );
  assert.throws(
    () => temporalTlsFromEnv({ ...full(), TEMPORAL_TLS_CLIENT_KEY_PATH: dir }),
    new RegExp(`TEMPORAL_TLS_CLIENT_KEY_PATH=${dir}: cannot read ${dir} \\(EISDIR\\)`),
  );
});

test('a file that is not what its variable says is named before anything connects', () => {
  const junk = path.join(dir, 'junk.pem');
  fs.writeFileSync(junk, 'not a certificate\n');
  assert.throws(
    () => temporalTlsFromEnv({ ...full(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: junk }),
    /TEMPORAL_TLS_SERVER_CA_CERT_PATH=.*junk\.pem: not a PEM certificate/,
  );
  assert.throws(
    () => temporalTlsFromEnv({ ...full(), TEMPORAL_TLS_CLIENT_KEY_PATH: junk }),
    /TEMPORAL_TLS_CLIENT_KEY_PATH=.*junk\.pem: not a PEM private key/,
  );
  // the server's key with the client's certificate
  assert.throws(
    () => temporalTlsFromEnv({ ...full(), TEMPORAL_TLS_CLIENT_KEY_PATH: certs.serverKey }),
    /TEMPORAL_TLS_CLIENT_KEY_PATH=.*server\.key is not the private key of the certificate in TEMPORAL_TLS_CLIENT_CERT_PATH=.*client\.pem/,
  );
});

test('contradictory or incomplete settings are refused with the variables named', () => {
  assert.throws(
    () => temporalTlsFromEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert }),
    /mTLS needs both TEMPORAL_TLS_CLIENT_CERT_PATH .* and TEMPORAL_TLS_CLIENT_KEY_PATH .*; only TEMPORAL_TLS_CLIENT_CERT_PATH is set/,
  );
  assert.throws(
    () => temporalTlsFromEnv({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.serverCa }),
    /TEMPORAL_TLS=false turns TLS off, but TEMPORAL_TLS_SERVER_CA_CERT_PATH is set/,
  );
  assert.throws(() => temporalTlsFromEnv({ TEMPORAL_TLS: 'maybe' }), /TEMPORAL_TLS=maybe: expected true or false/);
  assert.throws(
    () => externalTemporalFromEnv({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.serverCa }),
    /TEMPORAL_TLS_SERVER_CA_CERT_PATH is set but TEMPORAL_ADDRESS is not/,
  );
  // the web UI server's names for the same files would be silently unused
  assert.throws(
    () => temporalTlsFromEnv({ TEMPORAL_TLS_CA: certs.serverCa }),
    /TEMPORAL_TLS_CA is set, but bgbias \(like the temporal CLI\) reads the ca file from TEMPORAL_TLS_SERVER_CA_CERT_PATH/,
  );
});
