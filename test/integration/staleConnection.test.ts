/**
 * The store survives a server that closes idle connections while the worker's event loop is busy
 * (synchronous tfjs work does that for seconds). A proxy process in front of MinIO closes every
 * client connection shortly after a response; the test blocks its own event loop past that moment,
 * then reads and writes at once. A pooled keep-alive socket would be reused before its FIN was read
 * and the request would fail with ECONNRESET/EPIPE; the store's client opens a connection per request.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { ArtifactStore } from '../../lib/store/artifactStore';
import { startTestServices, type TestServices } from '../helpers/services';

let svc: TestServices;
let proxy: ChildProcess;
let proxyPort: number;

// Forwards to MinIO; closes the client side 50 ms after the last bytes from upstream.
const PROXY = `
const net = require('node:net');
const [host, port] = [process.argv[1], Number(process.argv[2])];
const server = net.createServer((client) => {
  const upstream = net.connect(port, host);
  let timer;
  client.pipe(upstream);
  upstream.on('data', (d) => {
    client.write(d);
    clearTimeout(timer);
    timer = setTimeout(() => { client.end(); upstream.destroy(); }, 50);
  });
  const drop = () => { clearTimeout(timer); client.destroy(); upstream.destroy(); };
  client.on('error', drop); upstream.on('error', drop); client.on('close', drop); upstream.on('close', drop);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

before(async () => {
  svc = await startTestServices();
  proxy = spawn(process.execPath, ['-e', PROXY, svc.endpoints.s3.endPoint, String(svc.endpoints.s3.port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(proxy.stdout!, 'data')) as [Buffer];
  proxyPort = Number(line.toString().trim());
});

after(async () => {
  proxy?.kill('SIGKILL');
  await svc?.stop();
});

/** Keeps the event loop busy, as a long synchronous training step does. */
function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* busy */
  }
}

test('reads and writes right after a long synchronous stretch, while the server closed the idle connection', async () => {
  const store = await ArtifactStore.open({ ...svc.endpoints.s3, port: proxyPort }, 'bgbias-stale-test');
  const payload = Buffer.alloc(64 * 1024, 7);
  await store.putBuffer('stale/a.bin', payload);
  for (let round = 0; round < 5; round++) {
    await store.getBuffer('stale/a.bin');
    blockEventLoop(400); // the proxy closes the connection meanwhile; its FIN waits unread
    assert.deepEqual(await store.getBuffer('stale/a.bin'), payload, `round ${round}: read`);
    blockEventLoop(400);
    await store.putBuffer(`stale/b${round}.bin`, payload);
  }
});
