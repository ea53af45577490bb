import fs from 'node:fs';
import path from 'node:path';
import { parseReport, renderTable1 } from '../lib/report';
import { ArtifactStore } from '../lib/store/artifactStore';
import { checkBytes } from '../lib/store/integrity';
import { IntegrityError } from '../contracts/errors';
import { describeS3Endpoint, type S3Endpoint } from '../lib/store/s3Endpoint';
import { MANIFEST_NAME, readManifest } from '../lib/store/stageOutput';
import { readWaitingOutS3 } from './s3Outage';

/**
 * Copies a report stage's files from the store into `dir`, each checked against the sha256 of the
 * stage's verified manifest (a damaged file is an IntegrityError naming it); returns Table 1 for the
 * terminal. report.json is read through its schema. An S3 outage is waited out (s3Outage.ts).
 */
export async function downloadReport(
  s3: S3Endpoint,
  bucket: string,
  prefix: string,
  dir: string,
): Promise<{ dir: string; names: string[]; table1: string }> {
  return readWaitingOutS3(describeS3Endpoint(s3), () => downloadOnce(s3, bucket, prefix, dir));
}

async function downloadOnce(s3: S3Endpoint, bucket: string, prefix: string, dir: string) {
  const store = await ArtifactStore.open(s3, bucket);
  const manifest = await readManifest(store, prefix);
  if (!manifest)
    throw new IntegrityError(`s3://${bucket}/${prefix}/${MANIFEST_NAME}`, 'presence', 'the manifest', 'none');
  fs.mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  for (const f of manifest.files) {
    const buf = await store.getBuffer(f.key);
    checkBytes(buf, `s3://${bucket}/${f.key}`, f);
    fs.mkdirSync(path.dirname(path.join(dir, f.name)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.name), buf);
    names.push(f.name);
  }
  const report = parseReport(JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')));
  return { dir, names, table1: renderTable1(report, 'text') };
}
