/**
 * Plain data that crosses the workflow/activity boundary. Only keys, digests and small metrics:
 * artifacts never pass through Temporal payloads (DESIGN.md).
 */
import type { AttentionSummary } from '../lib/ml/attribution/scoreSummary';
import type { DatasetName, GridCell, LossName, Mode } from '../contracts/grid';
import type { EpochRecord, RetrievalScores } from '../lib/ml/train/epochRecord';
import type { Summary } from '../lib/report/schema';

export type { EpochRecord, RetrievalScores };

export type { GridCell };

/** A stage's committed output in the store. */
export interface StageRef {
  /** `<experiment>/<stage>/<digest>` */
  prefix: string;
  digest: string;
  /** True when the stage found its manifest and did no work. */
  cached: boolean;
}

export interface SplitRef {
  shardKeys: string[];
  count: number;
  numClasses: number;
}

export interface DatasetRef extends StageRef {
  dataset: DatasetName;
  splits: { train: SplitRef; val: SplitRef; test: SplitRef };
  maskQuality?: MaskQualityRow[];
  /** The whole dataset's split sizes, before a rehearsal's cut (absent in older records). */
  full?: { train: SplitSize; val: SplitSize; test: SplitSize };
  /** Time the u2net masks took where this stage computed them (not when restored from the store). */
  maskTiming?: { images: number; seconds: number };
}

export interface SplitSize {
  count: number;
  numClasses: number;
}

export interface BackgroundsRef extends StageRef {
  /** docs/protocol.md section 5: val pool for training and val, test pool for the swapped-background test. */
  pools: { val: { key: string; count: number }; test: { key: string; count: number } };
}

/** Distribution summary as the report carries it (lib/report/schema.ts). */
export type { Summary };

/** A rehearsal's estimate of its full run (report.json, the progress query, the CLI). */
export type { CostEstimate } from '../lib/report/costEstimate';

export interface MaskQualityRow {
  dataset: string;
  source: string;
  n: number;
  iou: Summary;
  overlap: Summary;
}

export interface RepeatedScore {
  mean: number;
  /** Sample standard deviation (ddof = 1) over repetitions. */
  std: number;
  reps: number[];
}

export interface TrainResult extends StageRef {
  bestEpoch: number;
  epochsTrained: number;
  bestMetric: number;
  monitored: 'clean' | 'swapped';
  bestWeightsKey: string;
  /** The epoch a retried attempt resumed from, if it did. */
  resumedFromEpoch?: number;
  /** The tfjs backend that trained it. */
  backend?: { name: string; device: string; threads: number; version: string };
  /** Per-epoch losses and val scores stay in the store (history.json): a long training's history
   * would outgrow Temporal's payload limits. */
  historyKey: string;
  /** Seconds spent in epochs (training + validation), all attempts. */
  trainSeconds: number;
  /** The last epoch's measured times (the first carries one-off warm-up), for the cost estimate. */
  timing?: StageTiming['train'];
}

/** Measured times the cost estimate (lib/report/costEstimate.ts) scales to a full run. */
export interface StageTiming {
  train: { epoch: number; stepSeconds: number; valSeconds: number; valImages: number };
  /** One clean pass plus one per swapped repetition over `images` test images. */
  test: { seconds: number; images: number; passes: number };
  attribution: { seconds: number; images: number };
}

export interface EvalResult extends StageRef {
  clean: RetrievalScores;
  /** Over `evaluation.swappedRepetitions` swapped-background tests. */
  swapped: { mapAtR: RepeatedScore; precisionAt1: RepeatedScore; rPrecision: RepeatedScore };
  timing?: StageTiming['test'];
}

export interface AttributionResult extends StageRef {
  attention: AttentionSummary;
  /** Maps of the first `figureImages` test images (float32 crop x crop each), for the figure. */
  mapsKey: string;
  timing?: StageTiming['attribution'];
}

/** What a finished grid cell leaves in the store so `analyze` finds it without the parent workflow. */
export interface CellRecord {
  cell: GridCell;
  cellId: string;
  dataset: DatasetRef;
  backgrounds: BackgroundsRef;
  train: TrainResult;
  evaluation: EvalResult;
  /** Digest of the settings that produced it (activities/config.ts configDigest); absent before 2026-12. */
  configDigest?: string;
}

/** Heartbeat details of a running training (visible in the Temporal UI). */
export interface TrainHeartbeat {
  epoch: number;
  step: number;
  loss?: number;
  metric?: number;
  checkpointKey?: string;
}

export type { DatasetName, LossName, Mode };

/** A dataset archive verified and kept in the store outside any experiment: `archives/<md5>/<name>`. */
export interface ArchiveRef {
  name: string;
  key: string;
  md5: string;
  bytes: number;
}

/** What `downloadDatasetArchives` hands to `buildPreparedDataset`. */
export interface DatasetArchives {
  dataset: DatasetName;
  archives: ArchiveRef[];
  /** Optional files (CUB's segmentations) that had no address or could not be fetched, with the reason. */
  skipped: { name: string; reason: string }[];
}
