/**
 * Errors that no retry can fix. lib/ and configs/ throw these; activities/errorMapping.ts turns every
 * PermanentError into a non-retryable ApplicationFailure (type = the class name), so the workflow
 * fails at once with the message instead of Temporal retrying for hours. Anything else (network,
 * service, a killed process) stays retryable.
 *
 * Plain Error subclasses without Temporal or Node APIs, in contracts/ so that every layer (configs
 * and lib included, which never import Temporal) can throw them.
 */

/** Base class: the same input will fail the same way on every attempt. */
export class PermanentError extends Error {
  /** Marks the class structurally (an Error with no extra field would narrow like any Error). */
  readonly permanent = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    // The subclass's name ("SchemaError", ...) becomes the ApplicationFailure's type.
    this.name = new.target.name;
  }
}

/** A value given by the user (config field, CLI flag, file argument) that is not allowed. */
export class ValidationError extends PermanentError {}

/** Stored or supplied data that does not match its schema (a record, a manifest, a file format). */
export class SchemaError extends PermanentError {
  constructor(
    /** What was read: an object key, a file path. */
    readonly object: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A tensor whose shape does not fit where it is used (weights into a model, a batch into a loss). */
export class ShapeMismatchError extends PermanentError {
  constructor(
    /** The tensor's name (e.g. 'conv1.weight'). */
    readonly tensor: string,
    readonly expected: readonly number[],
    readonly actual: readonly number[],
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A stored object whose content is not what was written: names the object (s3://bucket/key or a
 * file), what was checked and the expected and actual digest. Callers that can recompute (a cached
 * stage) catch it and recompute; one that reaches an activity's boundary fails the workflow, since
 * reading the same bytes again gives the same digest.
 */
export class IntegrityError extends PermanentError {
  constructor(
    /** s3://bucket/key, or a file path. */
    readonly object: string,
    /** What was checked: "file sha256", "content hash", "size", "digest file". */
    readonly check: string,
    readonly expected: string,
    readonly actual: string,
    detail?: string,
  ) {
    super(
      `corrupt object ${object}: ${check} mismatch (expected ${expected}, actual ${actual})` +
        (detail ? `: ${detail}` : ''),
    );
  }
}

/** True for errors no retry can fix, including ones wrapped as another error's cause. */
export function isPermanentError(err: unknown): err is PermanentError {
  return err instanceof PermanentError;
}
