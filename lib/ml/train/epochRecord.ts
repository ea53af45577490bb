/** Retrieval scores of one split (fractions, not percent). */
export interface RetrievalScores {
  mapAtR: number;
  precisionAt1: number;
  rPrecision: number;
}

/** One epoch of training as the history and the report keep it. */
export interface EpochRecord {
  epoch: number;
  trainLoss?: number;
  valClean: RetrievalScores;
  valSwapped: RetrievalScores;
  seconds: number;
  /** The parts of `seconds` (absent in older histories): the training steps, and the validation. */
  trainSeconds?: number;
  steps?: number;
  valSeconds?: number;
}
