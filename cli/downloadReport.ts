import fs from 'node:fs';
import path from 'node:path';
import { parseReport, renderTable1 } from '../lib/report';
import { ArtifactStore } from '../lib/store/artifactStore';
import type { S3Endpoint } from '../lib/store/s3Endpoint';

/** Copies a report stage's files from the store into `dir`; returns Table 1 for the terminal. */
export async function downloadReport(
  s3: S3Endpoint,
  bucket: string,
  prefix: string,
  dir: string,
): Promise<{ dir: string; names: string[]; table1: string }> {
  const store = await ArtifactStore.open(s3, bucket);
  const keys = (await store.list(`${prefix}/`)).filter((k) => !k.endsWith('/_manifest.json'));
  fs.mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  for (const key of keys) {
    const name = key.slice(prefix.length + 1);
    await store.download(key, path.join(dir, name));
    names.push(name);
  }
  const report = parseReport(JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')));
  return { dir, names, table1: renderTable1(report, 'text') };
}
