/**
 * The CLI's side of an S3 outage: what it reads from the store (the report at the end of `run`,
 * `analyze` and `audit`) is read again once the server is back, instead of ending a finished
 * multi-day run with "connect ECONNREFUSED". It says once that the server is gone and once that it
 * is back, as the Temporal watcher does (both through outageNotice.ts). Workers need no such loop:
 * their activities fail with the same errors, which stay retryable (activities/errorMapping.ts), so
 * Temporal retries them once the store answers.
 *
 * Only the server being away is waited out: a missing object, a refused signature or a checksum
 * mismatch are answers, and are thrown at once.
 */
import { errorMessage, s3ErrorCode } from '../lib/store/s3Endpoint';
import { OutageNotice } from './outageNotice';

/** Node socket errors of a server that is down or restarting, and MinIO's answers while it starts. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'XMinioServerNotInitialized',
  'ServiceUnavailable',
  'SlowDown',
]);

export function isS3Unreachable(err: unknown): boolean {
  const code = s3ErrorCode(err);
  return code !== undefined && UNREACHABLE.has(code);
}

export interface S3OutageOptions {
  /** Where the notices go (default console.log). */
  print?: (line: string) => void;
  /** Between attempts while the server is away (default 2 s). */
  pollMs?: number;
  /** Give up after this long away (default: never; Ctrl-C stops the command). */
  maxWaitMs?: number;
}

/** `read()` (which must be safe to repeat), repeated while the S3 server at `endpoint` is unreachable. */
export async function readWaitingOutS3<T>(
  endpoint: string,
  read: () => Promise<T>,
  o: S3OutageOptions = {},
): Promise<T> {
  const pollMs = o.pollMs ?? 2000;
  const outage = new OutageNotice(o.print ?? ((l: string) => console.log(l)), {
    server: 'S3 server',
    at: endpoint,
    meanwhile: 'The results are stored there; nothing is lost.',
    then: 'reading the results',
  });
  for (;;) {
    try {
      const value = await read();
      outage.reached();
      return value;
    } catch (err) {
      if (!isS3Unreachable(err)) throw err;
      const away = outage.awayMs();
      if (away !== undefined && o.maxWaitMs !== undefined && away > o.maxWaitMs)
        throw new Error(
          `S3 server at ${endpoint} unreachable for ${(away / 1000).toFixed(0)} s: ${errorMessage(err)}`,
          {
            cause: err,
          },
        );
      outage.unreachable(err);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
