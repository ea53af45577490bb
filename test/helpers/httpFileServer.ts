/**
 * A local HTTP server for download tests: serves files from a folder (or in-memory buffers) with
 * Range support, and can be told to misbehave the way real servers do: cut a response short after
 * N bytes (an interrupted download), answer 503, or ignore Range. Records every request.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { promises as fsp } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { AddressInfo } from 'node:net';

export interface RecordedRequest {
  path: string;
  range?: string;
  status: number;
}

export interface HttpFileServer {
  /** http://127.0.0.1:PORT (no trailing slash). */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /**
   * The next `times` responses for `path` send only `bytes` body bytes, then drop the connection.
   * With `holdUntil`, the connection is dropped only once it returns true (polled every 5 ms, at
   * most 30 s): e.g. once the client's .part file holds all `bytes`, so that what the client has
   * kept when it resumes does not depend on how fast a loaded machine moved the bytes to disk.
   */
  cutShort(path: string, bytes: number, times?: number, holdUntil?: () => boolean): void;
  /** The next `times` responses for `path` are `status` with an empty body. */
  failWith(path: string, status: number, times?: number): void;
  /** Serve these bytes at `path` instead of (or in addition to) the folder's files. */
  put(path: string, data: Buffer): void;
  ignoreRange: boolean;
  close(): Promise<void>;
}

/**
 * `root`: one folder served at '/', or folders by URL path prefix ({'/a/b/': '/data/x'} serves
 * /data/x/f at /a/b/f), so a test can mirror a public address layout from a local copy.
 */
export async function startHttpFileServer(root?: string | Record<string, string>): Promise<HttpFileServer> {
  const cuts = new Map<string, { bytes: number; times: number; holdUntil?: () => boolean }>();
  const fails = new Map<string, { status: number; times: number }>();
  const memory = new Map<string, Buffer>();
  const requests: RecordedRequest[] = [];
  const state = { ignoreRange: false };

  async function load(path: string): Promise<Buffer | undefined> {
    if (memory.has(path)) return memory.get(path);
    if (!root) return undefined;
    const routes = typeof root === 'string' ? { '/': root } : root;
    const prefix = Object.keys(routes).find((p) => path.startsWith(p));
    if (prefix === undefined) return undefined;
    const rel = normalize(decodeURIComponent(path.slice(prefix.length))).replace(/^([/\\])+/, '');
    if (rel.split(sep).includes('..')) return undefined;
    return fsp.readFile(join(routes[prefix], rel)).catch(() => undefined);
  }

  function take<T extends { times: number }>(m: Map<string, T>, path: string): T | undefined {
    const v = m.get(path);
    if (!v) return undefined;
    if (--v.times <= 0) m.delete(path);
    return v;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const range = req.headers.range;
    const record = (status: number) => requests.push({ path, range, status });
    const fail = take(fails, path);
    if (fail) {
      record(fail.status);
      res.writeHead(fail.status).end();
      return;
    }
    const data = await load(path);
    if (!data) {
      record(404);
      res.writeHead(404).end('not found');
      return;
    }
    let start = 0;
    let status = 200;
    const headers: Record<string, string | number> = {
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
    };
    const m = range && !state.ignoreRange ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      if (start >= data.length) {
        record(416);
        res.writeHead(416, { 'Content-Range': `bytes */${data.length}` }).end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    }
    const body = data.subarray(start);
    headers['Content-Length'] = body.length;
    record(status);
    res.writeHead(status, headers);
    const cut = take(cuts, path);
    if (cut && cut.bytes < body.length) {
      // Send part of the body, then kill the socket: the client sees a truncated transfer.
      const drop = () => res.socket?.destroy();
      const hold = cut.holdUntil;
      res.write(body.subarray(0, cut.bytes), () => {
        if (!hold) return void setTimeout(drop, 20);
        const deadline = Date.now() + 30_000;
        const poll = () => (hold() || Date.now() > deadline ? drop() : setTimeout(poll, 5));
        poll();
      });
      return;
    }
    res.end(body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.writeHead(500).end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    cutShort: (path, bytes, times = 1, holdUntil) => cuts.set(path, { bytes, times, holdUntil }),
    failWith: (path, status, times = 1) => fails.set(path, { status, times }),
    put: (path, data) => memory.set(path, data),
    get ignoreRange() {
      return state.ignoreRange;
    },
    set ignoreRange(v: boolean) {
      state.ignoreRange = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
