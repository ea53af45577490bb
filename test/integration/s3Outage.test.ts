/**
 * An S3 server restart while the CLI reads results (cli/s3Outage.ts): the read says the server is
 * gone, waits, says when it is back, and returns the stored bytes; an answer of a working server
 * (a missing object) is not waited out. Real MinIO, stopped and started again on its port and state
 * folder as `bgbias services up` would.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureServices } from '../../services/embedded';
import { serviceRecordFile } from '../../services/managedServer';
import { isPortFree } from '../../services/ports';
import { readProcessRecord, removeProcessRecord, stopProcess } from '../../services/processRecord';
import { ArtifactStore } from '../../lib/store/artifactStore';
import { describeS3Endpoint } from '../../lib/store/s3Endpoint';
import { isS3Unreachable, readWaitingOutS3 } from '../../cli/s3Outage';
import { startTestServices, type TestServices } from '../helpers/services';

let services: TestServices;

before(async () => {
  services = await startTestServices();
});

after(async () => {
  await services?.stop();
});

async function stopS3(): Promise<void> {
  const file = serviceRecordFile(services.stateDir, 's3');
  const record = readProcessRecord(file);
  assert.ok(record, 'the test S3 server has a process record');
  await stopProcess(record.pid, record.executable, 10_000);
  for (let i = 0; i < 100 && !(await isPortFree(services.options.s3Port!)); i++)
    await new Promise((r) => setTimeout(r, 100));
  removeProcessRecord(file);
}

test('a read from a stopped S3 server waits for it, and returns the stored bytes once it is back', async () => {
  const s3 = services.endpoints.s3;
  const bytes = Buffer.from("a finished run's report");
  await (await ArtifactStore.open(s3, 'bgbias')).putBuffer('outage/report.json', bytes);

  await stopS3();
  const lines: string[] = [];
  let attempts = 0;
  const read = readWaitingOutS3(
    describeS3Endpoint(s3),
    async () => {
      attempts++;
      return (await ArtifactStore.open(s3, 'bgbias')).getBuffer('outage/report.json');
    },
    { print: (l) => lines.push(l), pollMs: 200 },
  );
  for (let i = 0; i < 100 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(lines.length, 1, 'one notice while the server is away');
  assert.match(lines[0], /S3 server unreachable at http:\/\/127\.0\.0\.1:\d+ \(.*\); waiting for it to come back/);
  assert.ok(!lines[0].includes(s3.secretKey), 'the notice never shows the secret key');
  await new Promise((r) => setTimeout(r, 1000)); // several failed attempts, still one notice
  assert.equal(lines.length, 1);
  assert.ok(attempts >= 3, `${attempts} attempts while away`);

  await ensureServices(services.options); // the same port, state folder and keys
  assert.deepEqual(await read, bytes);
  assert.equal(lines.length, 2);
  assert.match(lines[1], /S3 server reachable again after \d+ s/);
});

test('an answer of a working server is thrown at once: a missing object is not an outage', async () => {
  const lines: string[] = [];
  const s3 = services.endpoints.s3;
  const t0 = Date.now();
  await assert.rejects(
    readWaitingOutS3(
      describeS3Endpoint(s3),
      async () => (await ArtifactStore.open(s3, 'bgbias')).getBuffer('outage/no-such-object'),
      { print: (l) => lines.push(l), pollMs: 200 },
    ),
    (err: unknown) => !isS3Unreachable(err),
  );
  assert.deepEqual(lines, []);
  assert.ok(Date.now() - t0 < 5000);
});
