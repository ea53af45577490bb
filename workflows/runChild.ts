import { ParentClosePolicy, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { inheritedSearchAttributes } from './searchAttributes';

/**
 * Starts a child with a deterministic id and waits for its result. A failed earlier run of the same
 * id may run again (ALLOW_DUPLICATE); children end with their parent (TERMINATE), so a failed or
 * cancelled study leaves no training behind.
 */
export async function runChild<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  workflowId: string,
  stage: string,
  args: A,
): Promise<R> {
  const handle = await startChild(fn, {
    workflowId,
    args,
    parentClosePolicy: ParentClosePolicy.TERMINATE,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: inheritedSearchAttributes(stage),
  });
  return handle.result();
}
