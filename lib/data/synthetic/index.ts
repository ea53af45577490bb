export { SyntheticDatasetConfigSchema, type SyntheticDatasetConfig, type SyntheticDatasetConfigInput } from './config';
export {
  generateSyntheticDataset,
  SYNTHETIC_GENERATOR_VERSION,
  SYNTHETIC_SPLITS,
  type SyntheticDataset,
  type SyntheticItem,
  type SyntheticSplit,
} from './generate';
export { encodeSyntheticSplit, MAX_ITEMS_PER_SHARD } from './encode';
export { buildClassSpecs, MAX_SYNTHETIC_CLASSES, type ClassSpec } from './classSpecs';
export { renderInstance, renderObject, renderBackground } from './render';
export type { InstanceSpec } from './instance';
