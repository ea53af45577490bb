/**
 * Every activity, bound to a worker's dependencies (store endpoint, local cache). Workflows import
 * only the TYPE of this object (`Activities`), never this module's code.
 */
import { attributeCell, attributeChunk } from './attribution';
import { resolveAudit } from './audit/resolveAudit';
import { runAudit } from './audit/runAudit';
import { writeAuditReport } from './audit/writeAuditReport';
import { prepareBackgrounds } from './backgrounds';
import { listTrainedCells, recordCell } from './cells';
import { resolveConfig, saveExperiment } from './config';
import { Stores, type ActivityDeps } from './context';
import { DataCache } from './dataCache';
import { classifyErrors } from './errorMapping';
import { evaluateCell } from './evaluate';
import { buildFolderDataset, importFolderDataset } from './folderDataset';
import {
  buildPreparedDataset,
  computeMaskPart,
  downloadDatasetArchives,
  measureMaskQuality,
  planMaskParts,
} from './realDataset';
import { writeReport } from './report';
import { generateSyntheticDataset_ } from './synthetic';
import { trainCell } from './train';

export function createActivities(deps: ActivityDeps) {
  const stores = new Stores(deps.s3);
  const data = new DataCache(deps.cacheDir, undefined, { size: deps.inputWorkers, cores: deps.cores });
  // One mapping place: lib's permanent errors become non-retryable failures (errorMapping.ts).
  return classifyErrors({
    resolveConfig,
    saveExperiment: saveExperiment(stores),
    prepareBackgrounds: prepareBackgrounds(stores, deps.cacheDir),
    generateSyntheticDataset: generateSyntheticDataset_(stores),
    downloadDatasetArchives: downloadDatasetArchives(stores, deps.cacheDir),
    planMaskParts: planMaskParts(stores, deps.cacheDir),
    computeMaskPart: computeMaskPart(stores, deps.cacheDir, { cores: deps.cores, gpu: deps.gpu }),
    buildPreparedDataset: buildPreparedDataset(stores, deps.cacheDir, { cores: deps.cores }),
    measureMaskQuality: measureMaskQuality(stores, deps.cacheDir),
    importFolderDataset: importFolderDataset(stores),
    buildFolderDataset: buildFolderDataset(stores, deps.cacheDir),
    trainCell: trainCell(stores, data),
    evaluateCell: evaluateCell(stores, data),
    recordCell: recordCell(stores),
    listTrainedCells: listTrainedCells(stores),
    attributeChunk: attributeChunk(stores, data),
    attributeCell: attributeCell(stores, data),
    writeReport: writeReport(stores),
    resolveAudit: resolveAudit(stores),
    runAudit: runAudit(stores, data),
    writeAuditReport: writeAuditReport(stores),
  });
}

export type Activities = ReturnType<typeof createActivities>;
