/**
 * The real-dataset activities (Cars196, CUB200, SOP), called in this order by workflows/prepareDataset:
 * downloadDatasetArchives -> planMaskParts -> computeMaskPart per part (any gpu worker) ->
 * buildPreparedDataset -> measureMaskQuality. Each lives in realDataset/.
 */
export { downloadDatasetArchives } from './realDataset/downloadArchives';
export { computeMaskPart, planMaskParts } from './realDataset/maskParts';
export { buildPreparedDataset } from './realDataset/buildPrepared';
export { measureMaskQuality } from './realDataset/maskQualityRows';
