/**
 * What a user sees when a file cannot be downloaded (activities/realDataset/storedFiles.ts, used for
 * the dataset archives, the u2net model and the pretrained weights): the file, every address tried
 * with its own error, what to do (data.mirrors / BGBIAS_DATASET_MIRRORS) and where the README says
 * more; network trouble stays retryable, answers no retry can change are a bad input. Real S3
 * store and a local HTTP server; the refused address is a closed local port.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { DATASET_SOURCES } from '../../../configs/paper/datasets';
import { downloadUrlsFor, MIRRORS_ENV } from '../../../lib/data/datasets/sources';
import { ensureStored, MIRRORS_HELP } from '../../../activities/realDataset/storedFiles';
import { ArtifactStore } from '../../../lib/store/artifactStore';
import { startHttpFileServer, type HttpFileServer } from '../../helpers/httpFileServer';
import { startTestServices, type TestServices } from '../../helpers/services';

let svc: TestServices;
let srv: HttpFileServer;
let store: ArtifactStore;
let closedPort: number;
const scratch = mkdtempSync(join(tmpdir(), 'bgbias-download-errors-'));
const cub = DATASET_SOURCES.cub200.files[0]; // CUB_200_2011.tgz

before(async () => {
  [svc, srv] = await Promise.all([startTestServices(), startHttpFileServer()]);
  store = await ArtifactStore.open(svc.endpoints.s3, 'bgbias-download-errors');
  // A port that nothing listens on: connections are refused at once, like a dead mirror.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
});
after(async () => {
  await Promise.all([svc?.stop(), srv?.close()]);
  rmSync(scratch, { recursive: true, force: true });
});

/** The advice every such error ends with. */
function assertAdvice(message: string, name: string): void {
  assert.match(message, new RegExp(`data\\.mirrors=\\{"${name.replace(/\./g, '\\.')}":\\["https://your\\.mirror/`));
  assert.match(message, new RegExp(`${MIRRORS_ENV}=https://your\\.mirror/folder/`));
  assert.ok(message.includes(`See ${MIRRORS_HELP}.`), message);
}

test('the README section the errors link to exists', () => {
  const anchor = MIRRORS_HELP.split('#')[1];
  const headings = readFileSync(join(__dirname, '../../../README.md'), 'utf8')
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) =>
      l
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );
  assert.ok(headings.includes(anchor), `README.md has no heading for #${anchor}`);
});

test('network failure: every address with its error, the advice, and the failure stays retryable', async () => {
  const mirrorPrefix = `http://127.0.0.1:${closedPort}/mirror/`;
  const urls = downloadUrlsFor(
    cub,
    { [cub.name]: [`http://127.0.0.1:${closedPort}/cub.tgz`] },
    {
      [MIRRORS_ENV]: mirrorPrefix,
    },
  );
  assert.deepEqual(urls, [`http://127.0.0.1:${closedPort}/cub.tgz`, `${mirrorPrefix}${cub.name}`, ...cub.urls]);
  const offline = urls.slice(0, 2); // the original (Google Drive) would need the network
  const t0 = Date.now();
  await assert.rejects(
    ensureStored(store, 'archives', { name: cub.name, md5: cub.md5, urls: offline, retries: 1, backoffMs: 1 }, scratch),
    (e: Error) => {
      assert.ok(
        !(e instanceof ApplicationFailure),
        'a plain error: Temporal retries the activity (a mirror may come back)',
      );
      assert.match(e.message, new RegExp(`^could not download ${cub.name} from any of its 2 address\\(es\\):`));
      for (const url of offline)
        assert.match(e.message, new RegExp(`\\n  ${url}: download of ${url} failed after 2 attempts; .*ECONNREFUSED`));
      assert.match(e.message, /Network trouble is retried \(a mirror may come back\)/);
      assertAdvice(e.message, cub.name);
      return true;
    },
  );
  assert.ok(Date.now() - t0 < 10_000, 'a refused address fails fast');
});

test('answers no retry can change (404, an unsupported address) are a bad input with the same advice', async () => {
  const urls = [`${srv.baseUrl}/gone/${cub.name}`, 'ftp://cs.stanford.edu/cs/cvgl/Stanford_Online_Products.zip'];
  await assert.rejects(
    ensureStored(store, 'archives', { name: cub.name, md5: cub.md5, urls }, scratch),
    (e: unknown) => {
      assert.ok(e instanceof ApplicationFailure && e.nonRetryable && e.type === 'BadInputError', String(e));
      assert.match(e.message, new RegExp(`\\n  ${srv.baseUrl}/gone/${cub.name}: download of .* failed: HTTP 404`));
      assert.match(e.message, /\n {2}ftp:\/\/cs\.stanford\.edu\/\S+: unsupported address 'ftp:/);
      assert.doesNotMatch(e.message, /Network trouble/);
      assertAdvice(e.message, cub.name);
      return true;
    },
  );
});

test('a mirror with other bytes: a bad input that says so', async () => {
  srv.put(`/wrong/${cub.name}`, Buffer.from('not the CUB archive'));
  await assert.rejects(
    ensureStored(
      store,
      'archives',
      { name: cub.name, md5: cub.md5, urls: [`${srv.baseUrl}/wrong/${cub.name}`] },
      scratch,
    ),
    (e: unknown) => {
      assert.ok(e instanceof ApplicationFailure && e.nonRetryable, String(e));
      assert.match(e.message, new RegExp(`md5 expected ${cub.md5}, actual [0-9a-f]{32}`));
      assert.match(e.message, /An address served other bytes than the checksum says/);
      assertAdvice(e.message, cub.name);
      return true;
    },
  );
});

test('no address at all: a bad input with the advice', async () => {
  await assert.rejects(
    ensureStored(store, 'archives', { name: 'segmentations.tgz', urls: [] }, scratch),
    (e: unknown) => {
      assert.ok(e instanceof ApplicationFailure && e.nonRetryable, String(e));
      assert.match(e.message, /^no download address configured for segmentations\.tgz\. To fix:/);
      assertAdvice(e.message, 'segmentations.tgz');
      return true;
    },
  );
});
