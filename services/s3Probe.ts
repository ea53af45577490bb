// A real request to an S3 server: an authenticated bucket lookup with the given credentials.
import {
  createMinioClient,
  describeS3Endpoint,
  errorMessage,
  s3ErrorCode,
  type S3Endpoint,
} from '../lib/store/s3Endpoint';
import { FatalProbeError } from './readiness';

const AUTH_ERRORS = new Set([
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'AccessDenied',
  'InvalidToken',
  'ExpiredToken',
]);

/** Resolves when the server answers an authenticated request; auth failures are fatal (waiting
 * will not fix them), connection failures are not (the server may still be starting). */
export async function probeS3(s3: S3Endpoint, probeBucket = 'bgbias-probe'): Promise<void> {
  const client = createMinioClient(s3);
  try {
    await client.bucketExists(probeBucket);
  } catch (err) {
    const code = s3ErrorCode(err);
    if (code !== undefined && AUTH_ERRORS.has(code)) {
      throw new FatalProbeError(`S3 at ${describeS3Endpoint(s3)} rejected access key "${s3.accessKey}" (${code})`);
    }
    throw new Error(`S3 at ${describeS3Endpoint(s3)}: ${code ?? ''} ${errorMessage(err)}`.trim(), { cause: err });
  }
}
