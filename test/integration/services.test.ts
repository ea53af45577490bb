import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import * as Minio from 'minio';
import { ensureServices, servicesStatus, stopServices } from '../../services/embedded';
import { freePort, isPortFree } from '../../services/ports';
import { isProcessAlive } from '../../services/processRecord';
import { findTool } from '../../services/tools';
import { s3CredentialsFile } from '../../services/s3Credentials';
import { s3DataDir } from '../../services/s3Server';
import { randomServiceOptions, startTestServices, type TestServices } from '../helpers/services';

let svc: TestServices;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-services-test-'));

before(async () => {
  const t0 = Date.now();
  svc = await startTestServices();
  console.log(`# both servers answered ${Date.now() - t0} ms after start`);
});
after(async () => {
  await svc?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('started servers answer real requests on loopback', async () => {
  const { temporal, s3 } = svc.endpoints;
  assert.match(temporal.address, /^127\.0\.0\.1:\d+$/);
  assert.equal(temporal.namespace, 'default');
  assert.deepEqual([...svc.endpoints.started].sort(), ['s3', 'temporal']);

  const connection = await Connection.connect({ address: temporal.address });
  try {
    const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
    assert.equal(ns.namespaceInfo?.name, 'default');
  } finally {
    await connection.close();
  }

  const client = new Minio.Client({ ...s3, pathStyle: true });
  await client.makeBucket('services-test', s3.region);
  await client.putObject('services-test', 'hello.txt', Buffer.from('hi'));
  const back = await client.getObject('services-test', 'hello.txt');
  let text = '';
  for await (const chunk of back) text += chunk.toString();
  assert.equal(text, 'hi');

  // Not open to all: anonymous requests and a wrong secret are refused.
  const anonymous = new Minio.Client({ endPoint: s3.endPoint, port: s3.port, useSSL: false, pathStyle: true });
  await assert.rejects(
    anonymous.putObject('services-test', 'x', Buffer.from('x')),
    (e: { code?: string }) => e.code === 'AccessDenied',
  );
  const wrong = new Minio.Client({ ...s3, secretKey: 'not-the-secret', pathStyle: true });
  await assert.rejects(
    wrong.putObject('services-test', 'y', Buffer.from('y')),
    (e: { code?: string }) => e.code === 'SignatureDoesNotMatch' || e.code === 'AccessDenied',
  );
  await assert.rejects(
    wrong.bucketExists('services-test'),
    (e: { code?: string }) => e.code === 'SignatureDoesNotMatch' || e.code === 'AccessDenied',
  );
});

test('up again reuses the running servers; status reports them', async () => {
  const again = await ensureServices(svc.options);
  assert.deepEqual(again.started, []);
  assert.equal(again.temporal.address, svc.endpoints.temporal.address);
  assert.equal(again.s3.port, svc.endpoints.s3.port);

  const status = await servicesStatus(svc.options);
  assert.deepEqual(
    status.map((s) => s.service),
    ['temporal', 's3'],
  );
  for (const s of status) {
    assert.equal(s.mode, 'embedded');
    assert.equal(s.alive, true, `${s.service} alive`);
    assert.equal(s.answering, true, `${s.service} answering: ${s.error}`);
    assert.ok(s.pid !== undefined && isProcessAlive(s.pid));
    assert.ok(s.logFile !== undefined && s.logFile.startsWith(svc.stateDir) && fs.existsSync(s.logFile));
  }
  assert.equal(status[0].address, svc.endpoints.temporal.address);
  assert.equal(status[1].address, `http://127.0.0.1:${svc.endpoints.s3.port}`);
});

test('with TEMPORAL_ADDRESS and S3_ENDPOINT set nothing is started and those are used', async () => {
  const { temporal, s3 } = svc.endpoints;
  const stateDir = path.join(scratch, 'external');
  const env = {
    TEMPORAL_ADDRESS: temporal.address,
    S3_ENDPOINT: `http://127.0.0.1:${s3.port}`,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
  };
  const endpoints = await ensureServices({ stateDir, env });
  assert.deepEqual(endpoints.started, []);
  assert.equal(endpoints.temporal.address, temporal.address);
  assert.deepEqual(endpoints.s3, {
    endPoint: '127.0.0.1',
    port: s3.port,
    useSSL: false,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: 'us-east-1',
  });
  assert.equal(fs.existsSync(stateDir), false, 'no state folder for external services');
});

test('an unreachable S3_ENDPOINT or TEMPORAL_ADDRESS gives an error naming the address', async () => {
  const deadPort = await freePort();
  const env = {
    TEMPORAL_ADDRESS: svc.endpoints.temporal.address,
    S3_ENDPOINT: `http://127.0.0.1:${deadPort}`,
    S3_ACCESS_KEY: 'k',
    S3_SECRET_KEY: 's3cr3t-value',
  };
  await assert.rejects(ensureServices({ env, externalTimeoutMs: 500 }), (e: Error) => {
    assert.match(
      e.message,
      new RegExp(`S3 server at http://127\\.0\\.0\\.1:${deadPort} \\(S3_ENDPOINT\\) is unreachable`),
    );
    assert.doesNotMatch(e.message, /s3cr3t-value/);
    return true;
  });
  const env2 = {
    TEMPORAL_ADDRESS: `127.0.0.1:${deadPort}`,
    S3_ENDPOINT: `http://127.0.0.1:${svc.endpoints.s3.port}`,
    S3_ACCESS_KEY: svc.endpoints.s3.accessKey,
    S3_SECRET_KEY: svc.endpoints.s3.secretKey,
  };
  await assert.rejects(
    ensureServices({ env: env2, externalTimeoutMs: 500 }),
    new RegExp(`Temporal server at 127\\.0\\.0\\.1:${deadPort} \\(TEMPORAL_ADDRESS\\) is unreachable`),
  );
  await assert.rejects(
    ensureServices({ env: { S3_ENDPOINT: 'http://x:9000' }, stateDir: scratch }),
    /S3_ENDPOINT=http:\/\/x:9000 is set but S3_ACCESS_KEY and S3_SECRET_KEY are not/,
  );
  await assert.rejects(
    ensureServices({
      env: { TEMPORAL_ADDRESS: 'http://x:7233', S3_ENDPOINT: 'x', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'b' },
    }),
    /TEMPORAL_ADDRESS=http:\/\/x:7233: expected host:port/,
  );
});

test('a credentials file that no longer matches the running embedded S3 fails at once, naming the access key', async () => {
  const file = s3CredentialsFile(svc.stateDir);
  const original = fs.readFileSync(file);
  try {
    fs.writeFileSync(file, JSON.stringify({ accessKey: 'someone-else', secretKey: 'other-secret' }), { mode: 0o600 });
    const t0 = Date.now();
    await assert.rejects(ensureServices(svc.options), (e: Error) => {
      assert.match(e.message, /rejected access key "someone-else"[\s\S]*credentials\.json[\s\S]*bgbias services down/);
      assert.doesNotMatch(e.message, /other-secret/);
      return true;
    });
    assert.ok(Date.now() - t0 < 10_000, 'fails fast instead of waiting for the ready timeout');
  } finally {
    fs.writeFileSync(file, original, { mode: 0o600 });
  }
});

test('S3 keys without S3_ENDPOINT are refused, naming the variables and the generated credentials file', async () => {
  const env = { ...svc.options.env, S3_ACCESS_KEY: 'mine', S3_SECRET_KEY: 'my-secret-value' };
  await assert.rejects(ensureServices({ ...svc.options, env }), (e: Error) => {
    assert.match(e.message, /S3_ACCESS_KEY and S3_SECRET_KEY are set but S3_ENDPOINT is not/);
    assert.ok(e.message.includes(s3CredentialsFile(svc.stateDir)), e.message);
    assert.doesNotMatch(e.message, /my-secret-value/);
    return true;
  });
});

test('a missing binary names where it looked and the setup command; PATH is searched last', () => {
  assert.throws(
    () => findTool('minio', { MINIO_BIN: path.join(scratch, 'nope') }),
    /MINIO_BIN=.*nope: no executable file there/,
  );
  const emptyBin = path.join(scratch, 'empty-bin');
  fs.mkdirSync(emptyBin, { recursive: true });
  assert.throws(
    () => findTool('temporal', { PATH: scratch, TEMPORAL_CLI: '' }, emptyBin),
    /Temporal CLI \(dev server\) binary "temporal" not found; looked at: \$TEMPORAL_CLI \(unset\), .*empty-bin\/temporal, PATH \(1 folders\)\. Install it with `bash scripts\/setup-tools\.sh`/,
  );
  const onPath = path.join(scratch, 'path-bin');
  fs.mkdirSync(onPath, { recursive: true });
  fs.writeFileSync(path.join(onPath, 'temporal'), '#!/bin/sh\n', { mode: 0o755 });
  assert.equal(findTool('temporal', { PATH: `${scratch}:${onPath}` }, emptyBin), path.join(onPath, 'temporal'));
  fs.writeFileSync(path.join(emptyBin, 'temporal'), '#!/bin/sh\n', { mode: 0o755 });
  assert.equal(
    findTool('temporal', { PATH: onPath }, emptyBin),
    path.join(emptyBin, 'temporal'),
    '.tools/bin before PATH',
  );
  assert.equal(
    findTool('temporal', { PATH: onPath, TEMPORAL_CLI: path.join(onPath, 'temporal') }, emptyBin),
    path.join(onPath, 'temporal'),
    'env before .tools/bin',
  );
});

test('a server that exits at start-up, or never answers, fails with its address and log tail', async () => {
  const crashing = path.join(scratch, 'crashing-temporal');
  fs.writeFileSync(crashing, '#!/bin/sh\necho "fake temporal: cannot open database"\nsleep 0.5\nexit 3\n', {
    mode: 0o755,
  });
  // Only the fake is started: S3 is the already running one (as an external server).
  const { s3 } = svc.endpoints;
  const externalS3 = {
    S3_ENDPOINT: `http://127.0.0.1:${s3.port}`,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
  };
  const options = await randomServiceOptions(path.join(scratch, 'crash'));
  options.env = { ...options.env, ...externalS3, TEMPORAL_CLI: crashing };
  await assert.rejects(ensureServices(options), (e: Error) => {
    assert.match(
      e.message,
      new RegExp(
        `Temporal dev server \\(pid \\d+\\) exited before it answered at 127\\.0\\.0\\.1:${options.temporalPort}`,
      ),
    );
    assert.match(e.message, /crash\/temporal\/server\.log \(last lines\):\n.*fake temporal: cannot open database/);
    return true;
  });
  await stopServices({ stateDir: options.stateDir, env: options.env, graceMs: 5_000 });

  const silent = path.join(scratch, 'silent-minio');
  fs.writeFileSync(
    silent,
    '#!/usr/bin/env node\nconsole.log("fake minio: waiting forever");\nsetTimeout(() => {}, 60000);\n',
    { mode: 0o755 },
  );
  const o2 = await randomServiceOptions(path.join(scratch, 'silent'));
  o2.env = { ...o2.env, TEMPORAL_ADDRESS: svc.endpoints.temporal.address, MINIO_BIN: silent };
  o2.readyTimeoutMs = 2_000;
  await assert.rejects(ensureServices(o2), (e: Error) => {
    assert.match(
      e.message,
      new RegExp(
        `embedded S3 server \\(MinIO\\) \\(pid \\d+\\) did not become ready at http://127\\.0\\.0\\.1:${o2.s3Port} within 2 s`,
      ),
    );
    assert.match(e.message, /fake minio: waiting forever/);
    return true;
  });
  // the never-ready server was stopped and forgotten
  assert.equal(fs.existsSync(path.join(o2.stateDir!, 's3', 'process.json')), false);
  const status = await servicesStatus({ stateDir: o2.stateDir, env: o2.env });
  assert.deepEqual([status[1].alive, status[1].error], [false, 'not started']);
});

test('down stops both servers and frees their ports; status then says not running', async () => {
  const stateDir = path.join(scratch, 'cycle');
  const options = await randomServiceOptions(stateDir);
  const endpoints = await ensureServices(options);
  const before = await servicesStatus(options);
  const pids = before.map((s) => s.pid!);
  const results = await stopServices({ stateDir, env: options.env });
  assert.deepEqual(
    results.map((r) => [r.service, r.result]),
    [
      ['temporal', 'stopped'],
      ['s3', 'stopped'],
    ],
  );
  for (const pid of pids) assert.equal(isProcessAlive(pid), false);
  assert.equal(await isPortFree(Number(endpoints.temporal.address.split(':')[1])), true);
  assert.equal(await isPortFree(endpoints.s3.port), true);
  const afterStatus = await servicesStatus(options);
  assert.deepEqual(
    afterStatus.map((s) => [s.service, s.alive, s.answering]),
    [
      ['temporal', false, false],
      ['s3', false, false],
    ],
  );
  assert.deepEqual(
    (await stopServices({ stateDir, env: options.env })).map((r) => r.result),
    ['not-running', 'not-running'],
  );
  // The data stays: the SQLite history and the S3 data folder survive `down`.
  assert.ok(fs.existsSync(path.join(stateDir, 'temporal', 'temporal.sqlite')));
  assert.ok(fs.existsSync(s3DataDir(stateDir)));
});
