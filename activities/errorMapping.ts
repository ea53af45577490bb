/**
 * The one place where lib's typed errors become Temporal failures. Every activity of the registry
 * (activities/index.ts) runs inside `classifyErrors`: a PermanentError (contracts/errors.ts), or
 * one of lib's older "this file can never work" errors listed below, becomes a non-retryable
 * ApplicationFailure of the error's class name, so the workflow fails at once with the message.
 * Anything else is rethrown as it is and Temporal retries it (network and service errors: a
 * mirror, the store or a worker may come back).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { isPermanentError } from '../contracts/errors';
import { wrapActivities, type AnyActivity } from './wrapActivities';

/**
 * Error classes from before contracts/errors.ts that also mean "the same input fails the same way":
 * by name, so this module need not import every lib module that defines one.
 */
const PERMANENT_ERROR_NAMES = new Set([
  'InvalidConfigError',
  'ChecksumMismatchError',
  'PretrainedWeightsError',
  'PermanentDownloadError',
  'InvalidInputConventionError',
]);

/** The failure a thrown value becomes at an activity's boundary (unchanged when retryable). */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof Error)) return err;
  if (isPermanentError(err) || PERMANENT_ERROR_NAMES.has(err.name)) {
    const details = 'issues' in err && Array.isArray(err.issues) ? [{ issues: err.issues }] : undefined;
    return ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: true, cause: err, details });
  }
  return err;
}

/** The same activities, each mapping its permanent errors to non-retryable failures. */
export function classifyErrors<T extends Record<string, AnyActivity>>(activities: T): T {
  return wrapActivities(activities, async (_name, run) => {
    try {
      return await run();
    } catch (err) {
      throw toActivityFailure(err);
    }
  });
}
