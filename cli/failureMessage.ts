/**
 * One readable message for a failed workflow. Temporal wraps what an activity threw in layers
 * (WorkflowFailedError -> ChildWorkflowFailure -> ActivityFailure -> ApplicationFailure); only the
 * ApplicationFailure says what went wrong, the layers above it say where.
 */
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';

export function explainFailure(workflowId: string, err: unknown): string {
  const where: string[] = [];
  let application: ApplicationFailure | undefined;
  let last: unknown = err;
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    last = e;
    if (e instanceof ChildWorkflowFailure && e.execution?.workflowId) where.push(`workflow ${e.execution.workflowId}`);
    if (e instanceof ActivityFailure) where.push(`activity ${e.activityType}`);
    if (e instanceof ApplicationFailure) {
      application = e;
      break;
    }
  }
  const root = application ?? last;
  const message = root instanceof Error ? root.message : String(root);
  const kind = application?.type ? ` [${application.type}${application.nonRetryable ? ', not retried' : ''}]` : '';
  return `${workflowId} failed${where.length ? ` in ${where.join(', ')}` : ''}${kind}: ${message}`;
}
