/**
 * The CLI's side of an S3 outage: what it reads from the store (the report at the end of `run`,
 * `analyze` and `audit`) is read again once the server is back, instead of ending a finished
 * multi-day run with "connect ECONNREFUSED". It says once that the server is gone and once that it
 * is back, as the Temporal watcher does (watchWorkflow.ts). Workers need no such loop: their
 * activities fail with the same errors, which stay retryable (activities/errorMapping.ts), so
 * Temporal retries them once the store answers.
 *
 * Only the server being away is waited out: a missing object, a refused signature or a checksum
 * mismatch are answers, and are thrown at once.
 */
import { errorMessage, s3ErrorCode } from '../lib/store/s3Endpoint';

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
  const print = o.print ?? ((l: string) => console.log(l));
  const pollMs = o.pollMs ?? 2000;
  let since: number | undefined;
  for (;;) {
    try {
      const value = await read();
      if (since !== undefined)
        print(`S3 server reachable again after ${((Date.now() - since) / 1000).toFixed(0)} s; reading the results`);
      return value;
    } catch (err) {
      if (!isS3Unreachable(err)) throw err;
      if (since === undefined) {
        since = Date.now();
        print(
          `S3 server unreachable at ${endpoint} (${errorMessage(err).split('\n')[0]}); waiting for it to come back. ` +
            'The results are stored there; nothing is lost.',
        );
      } else if (o.maxWaitMs !== undefined && Date.now() - since > o.maxWaitMs) {
        throw new Error(
          `S3 server at ${endpoint} unreachable for ${((Date.now() - since) / 1000).toFixed(0)} s: ${errorMessage(err)}`,
          { cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
