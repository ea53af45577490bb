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

/** One event per line, so that a re-recorded fixture's diff shows which events changed. */
export function historyToFixture(history: History): string {
  const { events } = HistoryType.fromObject(history).toJSON() as { events: unknown[] };
  return `{"events":[\n${events.map((e) => JSON.stringify(e)).join(',\n')}\n]}\n`;
}

export function historyFromFixture(text: string): temporal.api.history.v1.History {
  return HistoryType.fromObject(JSON.parse(text));
}
