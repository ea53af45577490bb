// The embedded S3 server is closed to every local process and web page without its credentials,
// and its generated secret leaks nowhere. Against the real server the services start.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as Minio from 'minio';
import { servicesStatus } from '../../services/embedded';
import { readS3Credentials, s3CredentialsFile } from '../../services/s3Credentials';
import { serviceDir } from '../../services/managedServer';
import { isLoopback, listeningSockets } from '../helpers/listeningSockets';
import { anonymousKeys, probeOpenAccess, type KnownObject } from '../helpers/openAccessProbe';
import { startTestServices, type TestServices } from '../helpers/services';
import { spawnCpuWorker } from '../helpers/workerProcess';

const ROOT = path.resolve(__dirname, '..', '..');
let svc: TestServices;
let client: Minio.Client;
const object: KnownObject = {
  bucket: 'closed-store-test',
  key: `private-${randomBytes(6).toString('hex')}.bin`,
  content: `object content ${randomBytes(12).toString('hex')}`,
};

before(async () => {
  svc = await startTestServices();
  client = new Minio.Client({ ...svc.endpoints.s3, pathStyle: true });
  await client.makeBucket(object.bucket, svc.endpoints.s3.region);
  await client.putObject(object.bucket, object.key, Buffer.from(object.content));
});
after(async () => {
  await svc?.stop();
});

async function s3ServerPid(): Promise<number> {
  const s3 = (await servicesStatus(svc.options)).find((s) => s.service === 's3')!;
  assert.ok(s3.pid !== undefined && s3.alive, `embedded S3 server running: ${s3.error}`);
  return s3.pid;
}

async function readBack(key: string): Promise<string> {
  let text = '';
  for await (const chunk of await client.getObject(object.bucket, key)) text += chunk.toString();
  return text;
}

test('every port the embedded S3 server listens on refuses anonymous reads and writes, with and without an Origin', async () => {
  const sockets = listeningSockets(await s3ServerPid());
  console.log(
    `embedded S3 server listens on: ${sockets.map((s) => `${s.protocol} ${s.address} ${s.port}`).join(', ')}`,
  );
  assert.ok(
    sockets.some((s) => s.protocol === 'tcp' && s.port === svc.endpoints.s3.port),
    'the S3 port is among the sockets found (the enumeration works)',
  );
  assert.deepEqual(
    sockets.filter((s) => !isLoopback(s.address)).map((s) => `${s.protocol} ${s.address}:${s.port}`),
    [],
    'nothing listens beyond loopback',
  );
  assert.deepEqual(
    sockets.filter((s) => s.protocol === 'udp').map((s) => `${s.address}:${s.port}`),
    [],
    'no UDP sockets',
  );

  const findings: string[] = [];
  for (const s of sockets) {
    for (const f of await probeOpenAccess(s.address, s.port, object)) findings.push(`${s.address}:${s.port} ${f}`);
  }
  // A write may "fail" and still happen: check the bucket with the credentials.
  const listed: string[] = [];
  for await (const item of client.listObjectsV2(object.bucket, '', true)) listed.push(String(item.name));
  if (listed.join() !== object.key) findings.push(`bucket now holds ${JSON.stringify(listed)}`);
  if ((await readBack(object.key).catch((e: Error) => e.message)) !== object.content)
    findings.push('the object was changed or deleted');
  for (const key of anonymousKeys(object))
    if (
      await client.statObject(object.bucket, key).then(
        () => true,
        () => false,
      )
    )
      findings.push(`an anonymous write created ${key}`);
  assert.deepEqual(findings, []);
});

test('the secret is in a 0600 file only: not in any log, process record, argument list or CLI output', async () => {
  const file = s3CredentialsFile(svc.stateDir);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const { accessKey, secretKey } = readS3Credentials(svc.stateDir)!;
  assert.equal(svc.endpoints.s3.secretKey, secretKey, 'the server runs with the generated pair');

  // Only the state folder: no S3 keys in the environment, so CLI and worker must read the file.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, BGBIAS_STATE_DIR: svc.stateDir };
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli', 'main.ts'), ...args], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `bgbias ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  };
  const up = cli('services', 'up');
  assert.match(up, new RegExp(`reusing embedded S3 server[\\s\\S]*access key ${accessKey}`));
  const outputs = [up, cli('services', 'status'), cli('services', 'status', '--json')];

  // A worker against the same state folder: it reaches S3 with the file's pair (its start-up probe
  // is an authenticated request) and starts polling.
  const worker = spawnCpuWorker(env);
  try {
    const deadline = Date.now() + 180_000;
    while (!/workers polling/.test(worker.output()) && worker.child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    assert.match(worker.output(), /reusing embedded S3 server[\s\S]*workers polling bgbias-cpu/, worker.output());
  } finally {
    await worker.stop();
  }
  outputs.push(worker.output());

  const places: Array<[string, string]> = outputs.map((o, i) => [`output ${i}`, o]);
  for (const dir of [serviceDir(svc.stateDir, 's3'), serviceDir(svc.stateDir, 'temporal')])
    for (const name of ['server.log', 'process.json']) {
      const f = path.join(dir, name);
      if (fs.existsSync(f)) places.push([f, fs.readFileSync(f, 'utf8')]);
    }
  places.push(['embedded S3 server command line', fs.readFileSync(`/proc/${await s3ServerPid()}/cmdline`, 'utf8')]);
  assert.ok(
    places.some(([, text]) => text.includes(accessKey)),
    'the access key is shown (so the search works)',
  );
  assert.deepEqual(
    places.filter(([, text]) => text.includes(secretKey)).map(([where]) => where),
    [],
    'the secret appears nowhere',
  );
});
