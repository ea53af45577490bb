/**
 * Refuses a `bgbias run` that would mix two configurations under one experiment name: before any
 * worker starts (against the stored config.json) and when a run of the same name is already going
 * (against that run's own input). The saveExperiment activity checks the stored config again, so a
 * run started with `temporal workflow start` is refused as well.
 */
import {
  defaultPayloadConverter,
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ExperimentConflictError, settingsDifferences } from '../configs/experimentIdentity';
import { resolveExperiment } from '../configs/resolve';
import type { ExperimentConfig } from '../configs/schema';
import { ArtifactStore } from '../lib/store/artifactStore';
import type { S3Endpoint } from '../lib/store/s3Endpoint';

/** Throws ExperimentConflictError when the store holds this experiment under other settings. */
export async function refuseOtherStoredSettings(s3: S3Endpoint, config: ExperimentConfig, replace: boolean) {
  if (replace) return;
  const store = await ArtifactStore.open(s3, config.storage.bucket);
  const key = `${config.experiment}/config.json`;
  if (!(await store.exists(key))) return;
  let differences: string[];
  try {
    differences = settingsDifferences(await store.getJson(key), config);
  } catch (err) {
    differences = [`config.json: not readable as a configuration (${(err as Error).message.split('\n')[0]})`];
  }
  if (differences.length) throw new ExperimentConflictError(config.experiment, differences, 'stored results', true);
}

/**
 * Starts the workflow, or joins the run already going under its id when that run has the same
 * settings; a running run with other settings is refused with the differences.
 */
export async function startOrJoin(
  client: Client,
  config: ExperimentConfig,
  start: () => Promise<WorkflowHandle>,
): Promise<{ handle: WorkflowHandle; joined: boolean }> {
  try {
    return { handle: await start(), joined: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const workflowId = err.workflowId;
    const running = await runningInput(client, workflowId);
    let differences: string[];
    try {
      differences = settingsDifferences(resolveExperiment(running), config);
    } catch (e) {
      differences = [`(input of the running workflow not readable: ${(e as Error).message.split('\n')[0]})`];
    }
    if (differences.length)
      throw new ExperimentConflictError(config.experiment, differences, `the running workflow ${workflowId}`, false);
    return { handle: client.workflow.getHandle(workflowId), joined: true };
  }
}

/** The input the running workflow was started with: the first event of its history (one page of one). */
async function runningInput(client: Client, workflowId: string): Promise<unknown> {
  const res = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId },
    maximumPageSize: 1,
  });
  const payload = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
}
