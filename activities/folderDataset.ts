/**
 * The folder-dataset activities (the user's own images, `data.folders.<name>`), called in this order
 * by workflows/prepareDataset: importFolderDataset (the folder into the store, once) ->
 * buildFolderDataset (index, seeded split, masks, shards). Each lives in folderDataset/.
 */
export { importFolderDataset } from './folderDataset/importFolder';
export { buildFolderDataset } from './folderDataset/buildFolder';
export type { FolderImportRef } from './folderDataset/importFolder';
