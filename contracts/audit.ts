/**
 * What the `auditModel` workflow takes and shows: its input (plain JSON, so `temporal workflow start
 * --type auditModel --input '{...}'` works as well as `bgbias audit`), its workflow id, and the
 * progress signal its audit activity sends. Validation of the model's input convention and of the
 * protocol settings happens in the resolve activity (lib/audit's zod schemas), not here: contracts
 * stay free of lib code because workflows import them.
 */

/** The model under audit. */
export type AuditModelSpec =
  /** A model trained by bgbias: an experiment in the store and one of its grid cells (cellId, e.g. `synthetic/contrastive/base/s0`). */
  | { kind: 'bgbias'; experiment: string; cell: string }
  /** A TensorFlow.js model.json (graph or layers model) with its weight files beside it, on the cpu worker's machine. */
  | { kind: 'tfjs'; path: string }
  /** An ONNX file on the cpu worker's machine. */
  | { kind: 'onnx'; path: string };

/** The images: a prepared split of a dataset stored by an experiment (its test backgrounds come along). */
export interface AuditImagesSpec {
  experiment: string;
  dataset: string;
  /** Default `test`. */
  split?: 'train' | 'val' | 'test';
}

export interface AuditAttributionSpec {
  /** Test images whose SmoothGrad map and attention score are computed (default 16; 0 = none). */
  images?: number;
  /** Noisy copies per map (default 10; the paper's reference uses 25). */
  copies?: number;
  noiseLevel?: number;
  /** Maps shown in the report's figure (default 4). */
  figureImages?: number;
}

export interface AuditModelInput {
  /** Bucket of the store (default bgbias). */
  bucket?: string;
  model: AuditModelSpec;
  /** tfjs / ONNX: the input convention (lib/audit/inputConvention.ts); absent: the sidecar `<model>.input.json`. */
  convention?: Record<string, unknown>;
  /** Default for a bgbias model: its own experiment's dataset, test split. Required otherwise. */
  images?: AuditImagesSpec;
  /** lib/audit/settings.ts AuditSettingsSchema (protocols, repetitions, seed, bootstrap, ...). */
  settings?: Record<string, unknown>;
  attribution?: AuditAttributionSpec;
  /** Heartbeat interval of the audit activity in seconds (default 10). */
  heartbeatSeconds?: number;
}

/** Sent by the audit activity as it embeds each protocol's images. */
export interface AuditProgressSignal {
  variant: string;
  repetition: number;
  done: number;
  total: number;
}

export type AuditStage = 'resolve' | 'protocols' | 'attribution' | 'report' | 'done' | 'failed';

/** The `progress` query of an auditModel run. */
export interface AuditProgress {
  stage: AuditStage;
  model?: string;
  /** The latest protocol batch embedded. */
  embedding?: AuditProgressSignal;
  /** Number of (variant, repetition) image sets fully embedded so far. */
  setsEmbedded: number;
  auditCached?: boolean;
  reportCached?: boolean;
  reportPrefix?: string;
  error?: string;
}

export const AUDIT_PROGRESS_SIGNAL = 'auditProgress';

/** Store namespace of audits (results are keyed by content digest, not by any name). */
export const AUDITS_PREFIX = 'audits';

/** A run's id from a short name of its input (the CLI derives the name from a digest of the input). */
export const auditWorkflowId = (name: string) => `bgbias/audit/${name}`;
