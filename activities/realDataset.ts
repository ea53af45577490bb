/**
 * The real-dataset activities (Cars196, CUB200, SOP), called in this order by workflows/prepareDataset:
 * downloadDatasetArchives -> buildPreparedDataset -> measureMaskQuality. Each lives in realDataset/.
 */
export { downloadDatasetArchives } from './realDataset/downloadArchives';
export { buildPreparedDataset } from './realDataset/buildPrepared';
export { measureMaskQuality } from './realDataset/maskQualityRows';
