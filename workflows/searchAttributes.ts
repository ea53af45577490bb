import { TypedSearchAttributes } from '@temporalio/common';
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { EXPERIMENT, PRESET, STAGE } from '../contracts/searchAttributes';

/*
 * Setting bgbias's search attributes (contracts/searchAttributes.ts) from inside a workflow. They
 * must be registered on the server: the embedded dev server does it at start, the CLI on a server
 * it is pointed at, docker-compose runs `temporal operator search-attribute create` (see README).
 */

/**
 * Sets the stage attribute, but only on runs started with our attributes (the CLI registers them
 * and sets them at start): on a server without them an upsert would fail the workflow task.
 */
export function markStage(stage: string): void {
  if (workflowInfo().typedSearchAttributes.get(EXPERIMENT) === undefined) return;
  upsertSearchAttributes([{ key: STAGE, value: stage }]);
}

/** The attributes a child inherits from its parent (experiment, preset), if the parent has them. */
export function inheritedSearchAttributes(stage: string): TypedSearchAttributes | undefined {
  const own = workflowInfo().typedSearchAttributes;
  const experiment = own.get(EXPERIMENT);
  if (experiment === undefined) return undefined;
  const preset = own.get(PRESET);
  return new TypedSearchAttributes([
    { key: EXPERIMENT, value: experiment },
    ...(preset !== undefined ? [{ key: PRESET, value: preset }] : []),
    { key: STAGE, value: stage },
  ]);
}
