// The Temporal TLS settings reach the client's and the workers' connections. The dev server has
// no TLS, so a local TLS-terminating proxy (mTLS, ALPN h2) stands in front of it; certificates are
// made at test time. Only the proxy's address is given out, so a connection that works went
// through TLS with the right CA, server name and client certificate.
import { after, before, test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { temporal as proto } from '@temporalio/proto';
import { connectClient } from '../../cli/temporalClient';
import { ensureServices } from '../../services/embedded';
import { externalTemporalFromEnv } from '../../services/endpoints';
import { findTool } from '../../services/tools';
import { connectWorkerConnection } from '../../workers/runWorkers';
import { TASK_QUEUES } from '../../contracts/ids';
import { makeTestCertificates, type TestCertificates } from '../helpers/testCertificates';
import { startTestServices, type TestServices } from '../helpers/services';
import { startTlsProxy, type TlsProxy } from '../helpers/tlsProxy';
import { spawnCpuWorker } from '../helpers/workerProcess';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-tls-test-'));
let svc: TestServices;
let certs: TestCertificates;
let proxy: TlsProxy;

before(async () => {
  svc = await startTestServices();
  certs = makeTestCertificates(path.join(scratch, 'certs'));
  const [host, port] = svc.endpoints.temporal.address.split(':');
  proxy = await startTlsProxy(certs, { host, port: Number(port) });
});
after(async () => {
  await proxy?.close();
  await svc?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** A GPU machine's environment: the Temporal server behind TLS, the S3 server by address. */
function tlsEnv(over: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { s3 } = svc.endpoints;
  return {
    TEMPORAL_ADDRESS: `127.0.0.1:${proxy.port}`,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.serverCa,
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    TEMPORAL_TLS_SERVER_NAME: certs.serverName,
    S3_ENDPOINT: `http://127.0.0.1:${s3.port}`,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    ...over,
  };
}

test('the CLI client connects through the TLS proxy with the server CA, server name and client certificate', async () => {
  const endpoints = await ensureServices({ env: tlsEnv(), externalTimeoutMs: 20_000 });
  assert.deepEqual(endpoints.started, []);
  assert.ok(endpoints.temporal.tls?.config.clientCertPair, 'mTLS settings read from the environment');
  const acceptedBefore = proxy.accepted.length;
  const c = await connectClient(endpoints);
  try {
    const ns = await c.connection.workflowService.describeNamespace({ namespace: 'default' });
    assert.equal(ns.namespaceInfo?.name, 'default');
  } finally {
    await c.close();
  }
  assert.ok(proxy.accepted.length > acceptedBefore, 'the client went through the proxy');
  assert.ok(
    proxy.accepted.every((cn) => cn === 'bgbias-gpu-worker'),
    'with the client certificate',
  );
});

test('a worker process connects through the TLS proxy and polls its task queue', async () => {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    BGBIAS_STATE_DIR: path.join(scratch, 'worker'),
    ...tlsEnv(),
  };
  const worker = spawnCpuWorker(env);
  const c = await connectClient(await ensureServices({ env: tlsEnv() }));
  try {
    const deadline = Date.now() + 180_000;
    let identities: string[] = [];
    while (worker.child.exitCode === null && Date.now() < deadline) {
      if (/workers polling/.test(worker.output())) {
        const tq = await c.connection.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: TASK_QUEUES.cpu },
          taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        identities = (tq.pollers ?? []).map((p) => String(p.identity));
        if (identities.some((id) => id.startsWith(`${worker.child.pid}@`))) break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(
      identities.some((id) => id.startsWith(`${worker.child.pid}@`)),
      `worker ${worker.child.pid} polls ${TASK_QUEUES.cpu} (pollers: ${identities.join(', ')}); its output:\n${worker.output()}`,
    );
    assert.match(worker.output(), new RegExp(`workers polling bgbias-cpu at 127\\.0\\.0\\.1:${proxy.port}`));
  } finally {
    await c.close();
    await worker.stop();
  }
});

test('a wrong CA, no client certificate or no server name fail, naming the TLS settings', async () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    [
      'wrong CA',
      { TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.otherCa },
      /TLS with server CA TEMPORAL_TLS_SERVER_CA_CERT_PATH=.*other-ca\.pem/,
    ],
    [
      'no client certificate',
      { TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' },
      /TLS with server CA TEMPORAL_TLS_SERVER_CA_CERT_PATH=/,
    ],
    ['no server name', { TEMPORAL_TLS_SERVER_NAME: '' }, /TLS with server CA TEMPORAL_TLS_SERVER_CA_CERT_PATH=/],
  ];
  for (const [what, over, named] of cases) {
    const env = tlsEnv(over);
    const refusedBefore = proxy.refused.length;
    await assert.rejects(ensureServices({ env, externalTimeoutMs: 1_000 }), (e: Error) => {
      assert.match(
        e.message,
        /Temporal server at 127\.0\.0\.1:\d+ \(TLS with .*\(TEMPORAL_ADDRESS\) is unreachable/,
        what,
      );
      assert.match(e.message, named, what);
      return true;
    });
    const temporal = externalTemporalFromEnv(env)!;
    await assert.rejects(connectWorkerConnection(temporal), (e: Error) => {
      assert.match(e.message, /^workers cannot connect to the Temporal server at 127\.0\.0\.1:\d+ \(TLS with /, what);
      assert.match(e.message, named, what);
      return true;
    });
    if (what === 'no client certificate')
      assert.ok(
        proxy.refused.slice(refusedBefore).some((r) => /certificate/i.test(r)),
        `the proxy refused the handshake for want of a client certificate: ${proxy.refused.slice(refusedBefore)}`,
      );
  }
});

/** Runs a command without blocking this process's event loop (the proxy runs in it). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.once('exit', (status) => resolve({ status, output }));
  });
}

test('the temporal CLI reads the same variables (so `temporal workflow start` works from the same environment)', async () => {
  const env = { PATH: process.env.PATH, HOME: scratch, ...tlsEnv() };
  const args = ['operator', 'namespace', 'describe', '--namespace', 'default', '--command-timeout', '20s'];
  const ok = await run(findTool('temporal'), args, env);
  assert.equal(ok.status, 0, ok.output);
  assert.match(ok.output, /default/);
  const wrong = await run(findTool('temporal'), args, { ...env, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.otherCa });
  assert.notEqual(wrong.status, 0, 'the wrong CA is refused by the CLI too');
});
