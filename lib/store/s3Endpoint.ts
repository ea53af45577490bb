// How to reach an S3-compatible server (MinIO, AWS S3, any S3-compatible store) and how to name it in messages.
import http from 'node:http';
import https from 'node:https';
import * as Minio from 'minio';

export interface S3Endpoint {
  endPoint: string; // host name or IP, no scheme, no port
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  region: string;
}

/** "http://127.0.0.1:8333": the address for error messages; never includes the credentials. */
export function describeS3Endpoint(s3: Pick<S3Endpoint, 'endPoint' | 'port' | 'useSSL'>): string {
  const host = s3.endPoint.includes(':') ? `[${s3.endPoint}]` : s3.endPoint;
  return `${s3.useSSL ? 'https' : 'http'}://${host}:${s3.port}`;
}

/** Objects above this size are uploaded in parts of this size. */
export const MULTIPART_PART_SIZE = 64 * 1024 * 1024;

export function createMinioClient(s3: S3Endpoint): Minio.Client {
  return new Minio.Client({
    endPoint: s3.endPoint,
    port: s3.port,
    useSSL: s3.useSSL,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: s3.region,
    // Path-style addressing (http://host/bucket/key): MinIO needs it on plain hosts.
    pathStyle: true,
    // Fixed 64 MiB parts. Without it a stream of unknown size is sent as parts of 576 MiB (5 TiB /
    // 10,000), each held in memory; 64 MiB x 10,000 parts still allows 640 GiB objects.
    partSize: MULTIPART_PART_SIZE,
    // A new connection per request. With pooled keep-alive sockets, a socket the server closed while
    // synchronous tfjs work blocked the event loop was reused before its FIN was read, and the request
    // failed with EPIPE/ECONNRESET (every checkpoint write of a smoke run from its 28th minute on, on
    // the loaded 2-core machine, 2026-12-01). An artifact request costs far more than a connect.
    transportAgent: s3.useSSL ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false }),
  });
}

/** The S3 error code of a minio client error (NoSuchKey, SignatureDoesNotMatch, ...) or a Node
 * network error code (ECONNREFUSED, ...), when there is one. */
export function s3ErrorCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
