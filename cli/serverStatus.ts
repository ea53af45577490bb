/**
 * An experiment's status from what the Temporal server itself keeps, without a worker: the run's
 * describe (state, stage search attribute, times), its outcome from the history (the result, or
 * the failing activity's message), and the experiment's other runs from visibility (cells done,
 * running and failed, by the BgbiasExperiment search attribute). `bgbias status` shows this when
 * no worker answers the progress query (finished runs once no worker polls, runs whose workers are
 * gone).
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { EXPERIMENT, STAGE } from '../contracts/searchAttributes';
import type { ReproducePaperResult } from '../workflows/reproducePaper';
import { describeRetry, retryingActivities } from './activityRetries';
import { explainFailure } from './failureMessage';

export interface ServerStatus {
  workflowId: string;
  workflowType: string;
  status: string;
  stage?: string;
  startTime: Date;
  closeTime?: Date;
  /** Child runs of the experiment by stage and state, e.g. { train: { COMPLETED: 4, RUNNING: 2 } }. */
  children: Record<string, Record<string, number>>;
  result?: ReproducePaperResult | { reportPrefix: string };
  failure?: string;
  retrying: string[];
}

/** undefined when the server has no run with this id. */
export async function serverStatus(client: Client, workflowId: string): Promise<ServerStatus | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  let desc;
  try {
    desc = await handle.describe();
  } catch (err) {
    if ((err as { name?: string }).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
  const experiment = desc.typedSearchAttributes.get(EXPERIMENT);
  const s: ServerStatus = {
    workflowId,
    workflowType: desc.type,
    status: desc.status.name,
    stage: desc.typedSearchAttributes.get(STAGE),
    startTime: desc.startTime,
    closeTime: desc.closeTime,
    children: experiment === undefined ? {} : await childCounts(client, experiment, workflowId),
    retrying: [],
  };
  if (s.status === 'RUNNING') {
    s.retrying = (await retryingActivities(client.workflow, workflowId)).map(describeRetry);
  } else {
    try {
      s.result = (await handle.result()) as ServerStatus['result'];
    } catch (err) {
      s.failure = explainFailure(workflowId, err);
    }
  }
  return s;
}

async function childCounts(
  client: Client,
  experiment: string,
  ownId: string,
): Promise<Record<string, Record<string, number>>> {
  const counts: Record<string, Record<string, number>> = {};
  const query = `${EXPERIMENT.name} = ${JSON.stringify(experiment)}`;
  for await (const w of client.workflow.list({ query }) as AsyncIterable<WorkflowExecutionInfo>) {
    if (w.workflowId === ownId) continue;
    const stage = w.typedSearchAttributes.get(STAGE) ?? w.type;
    const byState = (counts[stage] ??= {});
    byState[w.status.name] = (byState[w.status.name] ?? 0) + 1;
  }
  return counts;
}

const pct = (v: number) => (100 * v).toFixed(2);

export function formatServerStatus(s: ServerStatus): string {
  const lines = [
    `${s.workflowType} ${s.workflowId}: ${s.status.toLowerCase()}${s.stage ? ` (stage ${s.stage})` : ''}`,
    `started ${s.startTime.toISOString()}${s.closeTime ? `, closed ${s.closeTime.toISOString()}` : ''}`,
  ];
  const children = Object.entries(s.children);
  if (children.length)
    lines.push(
      `runs of this experiment: ${children
        .map(
          ([stage, byState]) =>
            `${stage} ${Object.entries(byState)
              .map(([state, n]) => `${n} ${state.toLowerCase()}`)
              .join(', ')}`,
        )
        .join('; ')}`,
    );
  for (const r of s.retrying) lines.push(`retrying: ${r}`);
  if (s.failure) lines.push(s.failure);
  if (s.result && 'cells' in s.result) {
    lines.push('', 'cell                                              test clean MAP@R / swapped');
    for (const c of s.result.cells)
      lines.push(`${c.cellId.padEnd(50)} ${pct(c.clean.mapAtR)} / ${pct(c.swappedMapAtR)}`);
  }
  if (s.result) lines.push('', `report: ${s.result.reportPrefix}`);
  return lines.join('\n');
}
