/**
 * The custom search attributes bgbias sets on its workflow runs, so runs can be filtered in the
 * Temporal UI (`BgbiasExperiment = "smoke" AND BgbiasStage = "train"`). The workflows set them, the
 * CLI sets them at start and registers them on the server: all from these keys.
 * @temporalio/common is deterministic and already part of the workflow bundle.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const EXPERIMENT = defineSearchAttributeKey('BgbiasExperiment', SearchAttributeType.KEYWORD);
export const PRESET = defineSearchAttributeKey('BgbiasPreset', SearchAttributeType.KEYWORD);
export const STAGE = defineSearchAttributeKey('BgbiasStage', SearchAttributeType.KEYWORD);

/** Every key, for registration on a server (all keywords). */
export const SEARCH_ATTRIBUTE_KEYS = [EXPERIMENT, PRESET, STAGE] as const;
