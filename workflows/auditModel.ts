import { defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import type { AuditPlan, AuditReportRef, AuditRunResult } from '../activities/audit/types';
import {
  AUDIT_PROGRESS_SIGNAL,
  type AuditModelInput,
  type AuditProgress,
  type AuditProgressSignal,
} from '../contracts/audit';
import { PROGRESS_QUERY } from '../contracts/progress';
import { cpu, gpu } from './activityProxies';

export const auditProgressQuery = defineQuery<AuditProgress>(PROGRESS_QUERY);
export const auditProgressSignal = defineSignal<[AuditProgressSignal]>(AUDIT_PROGRESS_SIGNAL);

export interface AuditModelResult {
  plan: AuditPlan;
  audit: AuditRunResult;
  report: AuditReportRef;
}

/**
 * Audits one retrieval model for background bias (docs/audit.md): resolve the input (model imported
 * into the store under the digest of its bytes, images and backgrounds found, settings validated)
 * -> run every protocol and the attribution (gpu) -> report (cpu). Each step is a content-addressed
 * stage, so a rerun of the same audit is answered from the store.
 */
export async function auditModel(input: AuditModelInput): Promise<AuditModelResult> {
  const progress: AuditProgress = { stage: 'resolve', setsEmbedded: 0 };
  setHandler(auditProgressQuery, () => progress);
  setHandler(auditProgressSignal, (s) => {
    if (s.done >= s.total) progress.setsEmbedded++;
    progress.embedding = s;
  });
  try {
    const plan = await cpu.resolveAudit(input);
    progress.model = plan.model.source;
    progress.stage = 'protocols';
    const audit = await gpu(plan.heartbeatSeconds).runAudit(plan);
    progress.auditCached = audit.cached;
    progress.stage = 'report';
    const report = await cpu.writeAuditReport(plan, audit);
    progress.reportCached = report.cached;
    progress.reportPrefix = report.prefix;
    progress.stage = 'done';
    return { plan, audit, report };
  } catch (err) {
    progress.stage = 'failed';
    const cause = (err as { cause?: { message?: string } }).cause;
    progress.error = cause?.message ?? (err as Error).message;
    throw err;
  }
}
