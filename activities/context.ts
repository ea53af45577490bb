import { ApplicationFailure, Context } from '@temporalio/activity';
import { ArtifactStore } from '../lib/store/artifactStore';
import type { S3Endpoint } from '../lib/store/s3Endpoint';
import { runCached, type Manifest, type StageWriter, type ProduceResult } from '../lib/store/stageOutput';
import { stageDigest } from '../lib/store/digest';

export interface ActivityDeps {
  s3: S3Endpoint;
  /** Worker-local cache folder (shards, decoded data). */
  cacheDir: string;
  /** Input pool threads per activity (default: lib/ml/input/poolSize.ts's, from `cores` and TensorFlow's threads). */
  inputWorkers?: number;
  /** Cores this worker process may use (a launcher's share; default: os.availableParallelism()). */
  cores?: number;
  /** This process has a GPU of its own (pinned by the worker plan, or TensorFlow made a GPU device): u2net tries CUDA. */
  gpu?: boolean;
  log?: (line: string) => void;
}

/** One store per bucket, opened lazily and shared by the activities of a worker. */
export class Stores {
  private readonly open = new Map<string, Promise<ArtifactStore>>();
  constructor(private readonly s3: S3Endpoint) {}
  get(bucket: string): Promise<ArtifactStore> {
    let p = this.open.get(bucket);
    if (!p) {
      p = ArtifactStore.open(this.s3, bucket);
      p.catch(() => this.open.delete(bucket));
      this.open.set(bucket, p);
    }
    return p;
  }
}

/**
 * One line in the worker's output (its log file when the CLI started it), prefixed with the time
 * and the activity. Plain stdout rather than the SDK logger, which runs at WARN to keep the SDK quiet.
 */
export function logInfo(message: string, attrs?: Record<string, unknown>): void {
  let where = '';
  try {
    where = ` ${Context.current().info.activityType}`;
  } catch {
    /* not in an activity */
  }
  console.log(`${new Date().toISOString()}${where}: ${message}${attrs ? ` ${JSON.stringify(attrs)}` : ''}`);
}

/** Heartbeats when running inside an activity; a no-op in plain calls (tests, scripts). */
export function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not in an activity */
  }
}

/** A bad input that no retry can fix: fails the workflow with the message. */
export function badInput(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'BadInputError');
}

/** Runs a content-addressed stage: returns the manifest at once when it exists ("cached"). */
export async function cachedStage(
  store: ArtifactStore,
  experiment: string,
  stage: string,
  version: number,
  inputs: unknown,
  upstream: string[],
  produce: (writer: StageWriter) => Promise<ProduceResult>,
): Promise<{ manifest: Manifest; cached: boolean; prefix: string; digest: string }> {
  const digest = stageDigest(stage, version, inputs, upstream);
  // A stage whose manifest or files fail verification is recomputed (and says so); never used.
  const result = await runCached(store, { experiment, stage, digest }, produce, (err) =>
    logInfo(`${stage}: stored result not used, recomputing: ${err.message}`),
  );
  const prefix = `${experiment}/${stage}/${digest}`;
  logInfo(`${stage} ${result.cached ? 'cached' : result.corrupt ? 'recomputed' : 'done'}: ${prefix}`);
  return { ...result, prefix, digest };
}
