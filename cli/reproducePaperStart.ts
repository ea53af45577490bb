/**
 * How a reproducePaper run is started, in one place: its id (one run per experiment name), the cpu
 * queue, and the search attributes that `status`, the Temporal UI and visibility queries find it by
 * (`BgbiasExperiment = "x"`). `bgbias run` adds its id-conflict policies; the tests start it the
 * same way so that what they find is what a user's run leaves.
 */
import { reproduceId, TASK_QUEUES } from '../contracts/ids';
import { EXPERIMENT, PRESET, STAGE } from '../contracts/searchAttributes';

export function reproducePaperStart(experiment: string, preset: string, input: unknown) {
  return {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: reproduceId(experiment),
    args: [input],
    typedSearchAttributes: [
      { key: EXPERIMENT, value: experiment },
      { key: PRESET, value: preset },
      { key: STAGE, value: 'config' },
    ],
  };
}
