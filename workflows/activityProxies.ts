import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { TASK_QUEUES } from '../contracts/ids';

/**
 * Activity stubs per task queue, with the timeouts declared where they are used.
 * CPU stages are short and retried freely; an invalid configuration is never retried.
 */
export const cpu = proxyActivities<Activities>({
  taskQueue: TASK_QUEUES.cpu,
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: {
    maximumAttempts: 5,
    initialInterval: '2s',
    nonRetryableErrorTypes: ['InvalidConfigError', 'ChecksumMismatchError', 'BadInputError'],
  },
});

/**
 * GPU stages: long, heartbeating, resumable from checkpoints. The heartbeat timeout is 3x the
 * configured heartbeat interval (TEMPORAL.md: 2-3x), so a killed worker is noticed quickly and the
 * retry resumes from the newest checkpoint in the store.
 */
export function gpu(heartbeatSeconds: number) {
  return proxyActivities<Activities>({
    taskQueue: TASK_QUEUES.gpu,
    startToCloseTimeout: '14 days',
    heartbeatTimeout: `${Math.max(15, Math.round(heartbeatSeconds * 3))}s`,
    retry: {
      maximumAttempts: 10,
      initialInterval: '5s',
      maximumInterval: '5 minutes',
      nonRetryableErrorTypes: ['InvalidConfigError', 'BadInputError'],
    },
  });
}
