import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** The custom search attributes bgbias sets (workflows/searchAttributes.ts), all keywords. */
export const BGBIAS_SEARCH_ATTRIBUTES = {
  BgbiasExperiment: 'Keyword',
  BgbiasPreset: 'Keyword',
  BgbiasStage: 'Keyword',
} as const;

/**
 * Registers the search attributes on the server if they are missing (idempotent). The embedded dev
 * server gets them at start; a server the user brings gets them here, so runs stay filterable in the
 * UI without a manual `temporal operator search-attribute create`.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.keys(BGBIAS_SEARCH_ATTRIBUTES).filter((name) => !(name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((n) => [n, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
}
