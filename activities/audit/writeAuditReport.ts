/**
 * The audit's report (cpu queue): report.json, report.md, report.html and, where the model had
 * gradients, the attention figure, from the audit stage's files. Its own stage, keyed by the audit's
 * digest and by what the page names (the model's source path, the images' names), so it is cached
 * on a rerun and rebuilt when only the presentation inputs change.
 */
import { AUDITS_PREFIX } from '../../contracts/audit';
import { decodeTensorFile } from '../../lib/ml/checkpoint/tensorFile';
import { AUDIT_FIGURE_FILE, renderAuditHtml, renderAuditMarkdown } from '../../lib/report/audit/auditDocuments';
import { renderAuditAttentionFigure, type AuditFigureRow } from '../../lib/report/audit/auditAttentionFigure';
import { parseAuditReport, type AuditReport } from '../../lib/report/audit/auditReportSchema';
import { cachedStage, type Stores } from '../context';
import { AUDIT_MAPS_FILE } from './runAudit';
import type { AuditPlan, AuditReportRef, AuditRunResult } from './types';

const STAGE_VERSION = 1;

interface StoredAudit {
  model: { kind: string; source: string; convention: Record<string, unknown>; embeddingSize: number };
  settings: Record<string, unknown> & { bootstrap: { confidence: number } };
  numImages: number;
  numQueries: number;
  bgGap: {
    interval: Record<'mapAtR' | 'precisionAt1' | 'rPrecision', { estimate: number; lower: number; upper: number }>;
  } | null;
  attribution:
    | { available: true; distance: string; attention: { mean: number | null; std: number | null; n: number } | null }
    | { available: false; reason: string };
}

export function writeAuditReport(stores: Stores) {
  return async (plan: AuditPlan, audit: AuditRunResult): Promise<AuditReportRef> => {
    const store = await stores.get(plan.bucket);
    const inputs = {
      source: plan.model.source,
      images: { experiment: plan.images.experiment, dataset: plan.images.dataset, split: plan.images.split },
    };
    const stage = await cachedStage(
      store,
      AUDITS_PREFIX,
      'audit-report',
      STAGE_VERSION,
      inputs,
      [audit.digest],
      async (writer) => {
        const stored = await store.getJson<StoredAudit>(`${audit.prefix}/audit.json`);
        let figure: string | null = null;
        if (stored.attribution.available && plan.attribution.figureImages > 0) {
          const maps = decodeTensorFile(await store.getBuffer(`${audit.prefix}/${AUDIT_MAPS_FILE}`), AUDIT_MAPS_FILE);
          const rows: AuditFigureRow[] = [];
          for (let k = 0; maps.tensors.has(`map/${k}`); k++) {
            const map = maps.tensors.get(`map/${k}`)!;
            rows.push({
              image: Uint8Array.from(maps.tensors.get(`image/${k}`)!.data),
              map: Float32Array.from(map.data),
              mask: Float32Array.from(maps.tensors.get(`mask/${k}`)!.data),
              size: map.shape[0],
            });
          }
          if (rows.length > 0) {
            await writer.putBuffer(AUDIT_FIGURE_FILE, await renderAuditAttentionFigure(rows));
            figure = AUDIT_FIGURE_FILE;
          }
        }
        const report: AuditReport = parseAuditReport(
          {
            kind: 'audit',
            model: {
              kind: stored.model.kind,
              source: plan.model.source,
              sha256: plan.model.sha256,
              embeddingSize: stored.model.embeddingSize,
              convention: stored.model.convention,
            },
            images: {
              experiment: plan.images.experiment,
              dataset: plan.images.dataset,
              split: plan.images.split,
              numImages: stored.numImages,
              numQueries: stored.numQueries,
            },
            settings: stored.settings,
            confidence: stored.settings.bootstrap.confidence,
            rows: audit.rows,
            bgGap: stored.bgGap ? gapOf(stored.bgGap.interval) : null,
            attribution: stored.attribution.available
              ? {
                  available: true,
                  distance: stored.attribution.distance,
                  attention: stored.attribution.attention ?? { mean: null, std: null, n: 0 },
                  figure,
                }
              : stored.attribution,
            auditDigest: audit.digest,
          },
          `${audit.prefix}/audit.json`,
        );
        await writer.putJson('report.json', report);
        await writer.putBuffer('report.md', Buffer.from(renderAuditMarkdown(report)));
        await writer.putBuffer('report.html', Buffer.from(renderAuditHtml(report)));
        return { metrics: {} };
      },
    );
    return {
      prefix: stage.prefix,
      digest: stage.digest,
      cached: stage.cached,
      files: stage.manifest.files.map((f) => f.name),
    };
  };
}

const gapOf = (i: NonNullable<StoredAudit['bgGap']>['interval']) => {
  const pick = (v: { estimate: number; lower: number; upper: number }) => ({
    estimate: v.estimate,
    lower: v.lower,
    upper: v.upper,
  });
  return { mapAtR: pick(i.mapAtR), precisionAt1: pick(i.precisionAt1), rPrecision: pick(i.rPrecision) };
};
