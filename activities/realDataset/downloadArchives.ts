/**
 * Activity: every archive of a real dataset into the store (`archives/<md5>/<name>`), fetched from
 * the configured addresses only when the store does not have it yet. Returns small refs.
 */
import type { ExperimentConfig } from '../../configs/schema';
import type { DatasetName } from '../../contracts/grid';
import { downloadUrlsFor } from '../../lib/data/datasets/sources';
import { logInfo, type Stores } from '../context';
import type { ArchiveRef, DatasetArchives } from '../types';
import { datasetSource } from './sources';
import { ensureStored } from './storedFiles';
import { withTicker } from './ticker';

export function downloadDatasetArchives(stores: Stores, cacheDir: string) {
  return async (config: ExperimentConfig, dataset: DatasetName): Promise<DatasetArchives> => {
    const source = datasetSource(dataset);
    const store = await stores.get(config.storage.bucket);
    const archives: ArchiveRef[] = [];
    const skipped: DatasetArchives['skipped'] = [];
    await withTicker(async (ticker) => {
      for (const file of source.files) {
        const urls = downloadUrlsFor(file, config.data.mirrors);
        if (urls.length === 0 && file.optional) {
          skipped.push({ name: file.name, reason: 'no address configured' });
          continue;
        }
        try {
          const ref = await ensureStored(
            store,
            'archives',
            { name: file.name, md5: file.md5, sha256: file.sha256, urls },
            cacheDir,
            (p) => ticker.update({ dataset, ...p }),
          );
          logInfo(
            `${dataset}: ${file.name} ${ref.origin === 'store' ? 'already in the store' : 'downloaded and stored'} ` +
              `as ${ref.key}`,
          );
          archives.push({ name: ref.name, key: ref.key, md5: ref.md5, bytes: ref.bytes });
        } catch (e) {
          if (!file.optional) throw e;
          skipped.push({ name: file.name, reason: (e as Error).message });
          logInfo(`${dataset}: optional ${file.name} skipped: ${(e as Error).message}`);
        }
      }
    });
    return { dataset, archives, skipped };
  };
}
