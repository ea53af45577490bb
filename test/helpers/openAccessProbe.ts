// Tries to read, list, write and delete a known object through one listening port without any
// credentials, as another local process or a web page in a local browser would, and reports every
// way it got in. Speaks HTTP/1.1 and, where the port accepts it, HTTP/2 cleartext and gRPC.
import * as http from 'node:http';
import * as http2 from 'node:http2';

export const FOREIGN_ORIGIN = 'https://evil.example';

export interface KnownObject {
  bucket: string;
  key: string;
  /** The object's content: a response that contains it has read the object. */
  content: string;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface Attempt {
  method: string;
  path: string;
  /** what success would mean */
  intent: 'read' | 'list' | 'write' | 'delete' | 'preflight';
  body?: string;
}

/** Keys an anonymous write would create; the caller checks afterwards that none exists. */
export function anonymousKeys(o: KnownObject): string[] {
  return [`${o.key}-anon-http1`, `${o.key}-anon-h2`];
}

function attempts(o: KnownObject, newKey: string): Attempt[] {
  const b = encodeURIComponent(o.bucket);
  const k = encodeURIComponent(o.key);
  return [
    { method: 'GET', path: '/', intent: 'list' }, // S3 ListBuckets
    { method: 'GET', path: `/${b}`, intent: 'list' }, // ListObjects
    { method: 'GET', path: `/${b}?list-type=2`, intent: 'list' }, // ListObjectsV2
    { method: 'GET', path: `/${b}/${k}`, intent: 'read' },
    { method: 'HEAD', path: `/${b}/${k}`, intent: 'read' },
    { method: 'GET', path: `/${b}/${k}?acl`, intent: 'read' },
    { method: 'PUT', path: `/${b}/${encodeURIComponent(newKey)}`, intent: 'write', body: 'written anonymously' },
    { method: 'PUT', path: `/${b}/${k}`, intent: 'write', body: 'overwritten anonymously' },
    { method: 'POST', path: `/${b}/${encodeURIComponent(newKey)}?uploads`, intent: 'write' }, // multipart
    { method: 'DELETE', path: `/${b}/${k}`, intent: 'delete' },
    { method: 'DELETE', path: `/${b}`, intent: 'delete' },
    { method: 'OPTIONS', path: `/${b}/${k}`, intent: 'preflight' },
  ];
}

function http1(host: string, port: number, a: Attempt, origin: string | undefined): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (origin) headers.Origin = origin;
    if (a.intent === 'preflight') {
      headers['Access-Control-Request-Method'] = 'PUT';
      headers['Access-Control-Request-Headers'] = 'content-type';
    }
    if (a.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(a.body));
    const req = http.request({ host, port, method: a.method, path: a.path, headers, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end(a.body);
  });
}

/** An HTTP/2 cleartext session (prior knowledge, as gRPC uses it), or why there is none. */
function h2Session(host: string, port: number): Promise<http2.ClientHttp2Session | string> {
  return new Promise((resolve) => {
    const authority = host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
    const session = http2.connect(authority);
    const timer = setTimeout(() => {
      session.destroy();
      resolve('no HTTP/2 answer within 5 s');
    }, 5_000);
    // Only a SETTINGS frame from the server proves it speaks HTTP/2 ('connect' fires on TCP alone).
    session.once('remoteSettings', () => {
      clearTimeout(timer);
      resolve(session);
    });
    session.once('error', (err) => {
      clearTimeout(timer);
      session.destroy();
      resolve(err.message);
    });
    session.once('close', () => {
      clearTimeout(timer);
      resolve('closed the HTTP/2 connection');
    });
  });
}

function h2Request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer | string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    const timer = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), 5_000);
    let status = 0;
    let head: Record<string, string | string[] | undefined> = {};
    let data = '';
    stream.on('response', (h) => {
      status = Number(h[':status']);
      head = { ...head, ...(h as Record<string, string>) };
    });
    stream.on('trailers', (t) => (head = { ...head, ...(t as Record<string, string>) }));
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (data += c));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve({ status, headers: head, body: data });
    });
    stream.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    stream.end(body);
  });
}

/** What a reply gave away; empty when it gave nothing. */
function judge(a: Attempt, origin: string | undefined, r: Reply, o: KnownObject): string[] {
  const found: string[] = [];
  const ok = r.status >= 200 && r.status < 300;
  if (ok && a.intent !== 'preflight') found.push(`${a.intent} accepted (HTTP ${r.status})`);
  if (r.body.includes(o.content)) found.push('response contains the object content');
  if (a.intent === 'list' && r.body.includes(o.key)) found.push('response lists the object key');
  const acao = r.headers['access-control-allow-origin'];
  if (acao !== undefined) found.push(`Access-Control-Allow-Origin: ${String(acao)} (Origin ${origin ?? 'none'})`);
  return found;
}

/**
 * Every way in through host:port, as lines "<protocol> <method> <path> [Origin]: <what>". The
 * caller also checks afterwards, with credentials, that the object and bucket are unchanged and
 * that no anonymousKeys() object exists: a write can succeed with an error status.
 */
export async function probeOpenAccess(host: string, port: number, o: KnownObject): Promise<string[]> {
  const findings: string[] = [];
  const [h1Key, h2Key] = anonymousKeys(o);
  let spokeHttp1 = false;
  for (const origin of [undefined, FOREIGN_ORIGIN]) {
    for (const a of attempts(o, h1Key)) {
      const where = `HTTP/1.1 ${a.method} ${a.path}${origin ? ` [Origin ${origin}]` : ''}`;
      try {
        const r = await http1(host, port, a, origin);
        spokeHttp1 = true;
        for (const f of judge(a, origin, r, o)) findings.push(`${where}: ${f}`);
      } catch {
        // not HTTP/1.1 (judged below, for the port as a whole)
      }
    }
  }

  const session = await h2Session(host, port);
  if (typeof session === 'string') {
    if (!spokeHttp1) findings.push(`answers neither HTTP/1.1 nor HTTP/2 (${session}): an unknown protocol`);
    return findings;
  }
  try {
    for (const origin of [undefined, FOREIGN_ORIGIN]) {
      for (const a of attempts(o, h2Key)) {
        const where = `HTTP/2 ${a.method} ${a.path}${origin ? ` [Origin ${origin}]` : ''}`;
        const headers: http2.OutgoingHttpHeaders = { ':method': a.method, ':path': a.path };
        if (origin) headers.origin = origin;
        if (a.intent === 'preflight') headers['access-control-request-method'] = 'PUT';
        try {
          const r = await h2Request(session, headers, a.body);
          for (const f of judge(a, origin, r, o)) findings.push(`${where}: ${f}`);
        } catch {
          // stream refused: nothing given away
        }
      }
    }
    // gRPC: without the server's protocol definitions we cannot try each of its methods, so any
    // gRPC answer other than "unauthenticated" or "permission denied" counts as an open door.
    const grpc = await h2Request(
      session,
      {
        ':method': 'POST',
        ':path': '/grpc.health.v1.Health/Check',
        'content-type': 'application/grpc',
        te: 'trailers',
      },
      Buffer.alloc(5), // one empty, uncompressed message
    ).catch(() => undefined);
    const status = grpc?.headers['grpc-status'];
    if (status !== undefined && status !== '16' && status !== '7') {
      findings.push(`gRPC /grpc.health.v1.Health/Check: answered without authentication (grpc-status ${status})`);
    }
  } finally {
    session.destroy();
  }
  return findings;
}
