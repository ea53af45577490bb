/**
 * What crosses the workflow boundary in an audit: keys, digests, the validated settings and small
 * metrics. Pixels, embeddings and per-query values stay in the store.
 */
import type { AuditSettings } from '../../lib/audit/settings';
import type { InputConvention } from '../../lib/audit/inputConvention';
import type { SplitRef } from '../types';

export interface StoredModelFile {
  name: string;
  key: string;
  sha256: string;
  bytes: number;
}

export type ResolvedAuditModel =
  | {
      kind: 'tfjs' | 'onnx';
      /** Where it was read from (recorded, not part of the cache key). */
      source: string;
      entry: string;
      files: StoredModelFile[];
      /** sha256 over the files' names and bytes (lib/audit/models/modelFiles.ts). */
      sha256: string;
      convention: InputConvention;
    }
  | {
      kind: 'bgbias';
      source: string;
      experiment: string;
      cellId: string;
      weightsKey: string;
      /** sha256 of the stored best weights. */
      sha256: string;
    };

export interface AuditAttributionPlan {
  images: number;
  copies: number;
  noiseLevel: number;
  figureImages: number;
}

export interface AuditPlan {
  bucket: string;
  model: ResolvedAuditModel;
  images: {
    experiment: string;
    dataset: string;
    split: 'train' | 'val' | 'test';
    ref: SplitRef;
    datasetDigest: string;
  };
  backgrounds: { key: string; count: number; digest: string };
  settings: AuditSettings;
  attribution: AuditAttributionPlan;
  heartbeatSeconds: number;
}

export interface AuditProtocolRow {
  protocol: string;
  repetitions: number;
  mapAtR: { mean: number; std: number | null; lower: number; upper: number };
  precisionAt1: { mean: number; std: number | null; lower: number; upper: number };
  rPrecision: { mean: number; std: number | null; lower: number; upper: number };
}

export interface AuditRunResult {
  prefix: string;
  digest: string;
  cached: boolean;
  numImages: number;
  numQueries: number;
  rows: AuditProtocolRow[];
  attention: { mean: number; std: number; n: number } | null;
  attributionReason?: string;
}

export interface AuditReportRef {
  prefix: string;
  digest: string;
  cached: boolean;
  files: string[];
}
