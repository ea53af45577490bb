/**
 * Workflow histories as JSON fixture files and back, with @temporalio/proto's own protobufjs
 * (toJSON: 64-bit numbers as strings, enums by name, bytes as base64; fromObject reads that back).
 * Not @temporalio/common's historyToJSON/historyFromJSON: in this install they use a second copy of
 * protobufjs (8.x, nested under @temporalio/common) that rejects the proto package's types ("type
 * must be a Type").
 */
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
const HistoryType = temporal.api.history.v1.History;

/**
 * One event per line, so that a re-recorded fixture's diff shows which events changed. The workflow
 * id goes with it: workflows derive their children's ids from their own, so a replay under another
 * id schedules other children and fails.
 */
export function historyToFixture(history: History, workflowId: string): string {
  const { events } = HistoryType.fromObject(history).toJSON() as { events: unknown[] };
  return `{"workflowId":${JSON.stringify(workflowId)},"events":[\n${events.map((e) => JSON.stringify(e)).join(',\n')}\n]}\n`;
}

export function historyFromFixture(text: string): { workflowId: string; history: temporal.api.history.v1.History } {
  const { workflowId, events } = JSON.parse(text) as { workflowId?: unknown; events: unknown };
  if (typeof workflowId !== 'string')
    throw new Error('history fixture without its workflowId: npm run record-histories');
  return { workflowId, history: HistoryType.fromObject({ events }) };
}
