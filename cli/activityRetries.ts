/**
 * What Temporal is retrying, for the terminal: the pending activities of a workflow and of its
 * running children (a cell's training, a dataset's download run in child workflows) that have
 * failed at least once, with their attempt and last error. Read with DescribeWorkflowExecution,
 * which the server answers without a worker, so a retry loop is visible even while every worker
 * is busy or gone.
 */
import type { WorkflowClient, WorkflowHandle } from '@temporalio/client';

export interface RetryingActivity {
  workflowId: string;
  activityId: string;
  activityType: string;
  /** The attempt Temporal runs (or waits to run) now; the one before it failed. */
  attempt: number;
  /** 0 when unlimited. */
  maximumAttempts: number;
  lastError: string;
  lastErrorType?: string;
}

type Description = Awaited<ReturnType<WorkflowHandle['describe']>>;
type PendingActivity = NonNullable<Description['raw']['pendingActivities']>[number];

/** The pending activities with a last failure, depth-first through running children (up to `depth`). */
export async function retryingActivities(
  client: WorkflowClient,
  workflowId: string,
  depth = 3,
): Promise<RetryingActivity[]> {
  const desc = await client.getHandle(workflowId).describe();
  const out: RetryingActivity[] = [];
  for (const a of desc.raw.pendingActivities ?? []) {
    const r = retrying(workflowId, a);
    if (r) out.push(r);
  }
  if (depth > 0) {
    for (const child of desc.raw.pendingChildren ?? []) {
      if (!child.workflowId) continue;
      // A child that just ended (or whose describe races its start) is skipped, not an error.
      const inner = await retryingActivities(client, child.workflowId, depth - 1).catch(() => []);
      out.push(...inner);
    }
  }
  return out;
}

function retrying(workflowId: string, a: PendingActivity): RetryingActivity | undefined {
  if (!a.lastFailure) return undefined;
  return {
    workflowId,
    activityId: a.activityId ?? '?',
    activityType: a.activityType?.name ?? '?',
    attempt: a.attempt ?? 1,
    maximumAttempts: a.maximumAttempts ?? 0,
    lastError: a.lastFailure.message ?? '(no message)',
    lastErrorType: a.lastFailure.applicationFailureInfo?.type ?? undefined,
  };
}

/** `downloadDatasetArchives in bgbias-prepare-x-cub200: attempt 1 of 5 failed, retrying: <error>` */
export function describeRetry(r: RetryingActivity): string {
  const failed = Math.max(1, r.attempt - 1);
  const of = r.maximumAttempts > 0 ? ` of ${r.maximumAttempts}` : '';
  const error = r.lastError.replace(/\n/g, '\n    ');
  return (
    `${r.activityType} in ${r.workflowId}: attempt ${failed}${of} failed, Temporal retries it ` +
    `(attempt ${r.attempt} next): ${r.lastErrorType && r.lastErrorType !== 'Error' ? `${r.lastErrorType}: ` : ''}${error}`
  );
}

/** Prints each failed attempt once, however often it is polled. */
export class RetryReporter {
  private readonly seen = new Set<string>();
  constructor(private readonly print: (line: string) => void) {}

  report(activities: RetryingActivity[]): void {
    for (const r of activities) {
      const key = `${r.workflowId}\u0000${r.activityId}\u0000${r.attempt}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.print(describeRetry(r));
    }
  }
}
