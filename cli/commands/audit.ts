/**
 * `bgbias audit`: audits one retrieval model for background bias through the auditModel workflow
 * (docs/audit.md) and downloads its report. The model is a bgbias cell (--experiment/--cell), a
 * TensorFlow.js model.json (--tfjs) or an ONNX file (--onnx); tfjs and ONNX models need their input
 * convention, from --convention, from flags, or from the sidecar `<model>.input.json`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { auditWorkflowId, type AuditModelInput, type AuditProgress } from '../../contracts/audit';
import { TASK_QUEUES } from '../../contracts/ids';
import { STAGE } from '../../contracts/searchAttributes';
import { canonicalJson } from '../../lib/store/digest';
import { conventionFromFlags, readInputConvention, sidecarPath } from '../../lib/audit/inputConvention';
import { parseAuditSettings } from '../../lib/audit/settings';
import { parseAuditReport } from '../../lib/report/audit/auditReportSchema';
import { renderAuditTableText } from '../../lib/report/audit/auditTables';
import { ArtifactStore } from '../../lib/store/artifactStore';
import { describeS3Endpoint } from '../../lib/store/s3Endpoint';
import type { AuditModelResult } from '../../workflows/auditModel';
import { openLocalSession } from '../localSession';
import { readWaitingOutS3 } from '../s3Outage';

export interface AuditOptions {
  experiment?: string;
  cell?: string;
  tfjs?: string;
  onnx?: string;
  convention?: string;
  size?: string;
  resizeShort?: string;
  channels?: string;
  range?: string;
  mean?: string;
  std?: string;
  layout?: string;
  l2Normalize?: string;
  inputName?: string;
  outputName?: string;
  imagesExperiment?: string;
  dataset?: string;
  split?: string;
  protocols?: string;
  repetitions?: string;
  seed?: string;
  applyTo?: string;
  hole?: string;
  bootstrap?: string;
  attributionImages?: string;
  bucket: string;
  out?: string;
  workers: boolean;
}

const CONVENTION_FLAGS = [
  'size',
  'resizeShort',
  'channels',
  'range',
  'mean',
  'std',
  'layout',
  'l2Normalize',
  'inputName',
  'outputName',
] as const;

const integer = (flag: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`--${flag}: ${JSON.stringify(v)} is not an integer`);
  return n;
};

/** The workflow input from the flags, validated here so a mistake shows before anything starts. */
export async function auditInputFromOptions(opts: AuditOptions): Promise<AuditModelInput> {
  const chosen = [opts.cell !== undefined && 'bgbias', opts.tfjs && 'tfjs', opts.onnx && 'onnx'].filter(Boolean);
  if (chosen.length !== 1) {
    throw new Error('give exactly one model: --experiment E --cell C, --tfjs path/model.json or --onnx path.onnx');
  }
  const conventionFlags = Object.fromEntries(
    CONVENTION_FLAGS.map((k) => [k, opts[k]]).filter(([, v]) => v !== undefined),
  );
  let model: AuditModelInput['model'];
  let convention: AuditModelInput['convention'];
  if (opts.cell !== undefined) {
    if (!opts.experiment) throw new Error('--cell needs --experiment');
    if (opts.convention || Object.keys(conventionFlags).length > 0)
      throw new Error(
        'a bgbias model has its own input convention (its experiment transform): drop the convention flags',
      );
    model = { kind: 'bgbias', experiment: opts.experiment, cell: opts.cell };
  } else {
    const file = path.resolve((opts.tfjs ?? opts.onnx)!);
    if (!fs.existsSync(file)) throw new Error(`${opts.tfjs ? '--tfjs' : '--onnx'}: ${file} does not exist`);
    model = { kind: opts.tfjs ? 'tfjs' : 'onnx', path: file };
    if (opts.convention && Object.keys(conventionFlags).length > 0)
      throw new Error('give the input convention either as --convention FILE or as flags, not both');
    const conv = opts.convention
      ? await readInputConvention(path.resolve(opts.convention))
      : Object.keys(conventionFlags).length > 0
        ? conventionFromFlags(conventionFlags)
        : fs.existsSync(sidecarPath(file))
          ? await readInputConvention(sidecarPath(file))
          : undefined;
    if (!conv) {
      throw new Error(
        `no input convention for ${file}: give --convention FILE, the flags (--size, --channels, --range, ...) or ` +
          `put a sidecar at ${sidecarPath(file)} (docs/audit.md "Input convention")`,
      );
    }
    convention = { ...conv };
  }
  const imagesExperiment = opts.imagesExperiment ?? (opts.cell === undefined ? opts.experiment : undefined);
  let images: AuditModelInput['images'];
  if (imagesExperiment || opts.dataset) {
    if (!imagesExperiment || !opts.dataset)
      throw new Error('images: give both --images-experiment (or --experiment) and --dataset');
    images = { experiment: imagesExperiment, dataset: opts.dataset, split: (opts.split ?? 'test') as 'test' };
  } else if (opts.cell === undefined) {
    throw new Error('a tfjs or ONNX model needs images: --experiment E --dataset D [--split test]');
  }
  const settings: Record<string, unknown> = {};
  if (opts.protocols) settings.protocols = opts.protocols.split(',').map((s) => s.trim());
  if (opts.repetitions) settings.repetitions = integer('repetitions', opts.repetitions);
  if (opts.seed !== undefined) settings.seed = /^-?\d+$/.test(opts.seed) ? Number(opts.seed) : opts.seed;
  if (opts.applyTo) settings.applyTo = opts.applyTo;
  if (opts.hole) settings.hole = opts.hole;
  if (opts.bootstrap) settings.bootstrap = { resamples: integer('bootstrap', opts.bootstrap) };
  parseAuditSettings(settings, 'audit flags'); // names every bad flag now, not in a worker
  const attributionImages = integer('attribution-images', opts.attributionImages);
  return {
    bucket: opts.bucket,
    model,
    ...(convention ? { convention } : {}),
    ...(images ? { images } : {}),
    settings,
    ...(attributionImages !== undefined ? { attribution: { images: attributionImages } } : {}),
  };
}

/** Same input, same id: a second `bgbias audit` attaches to a running audit or reruns a finished one (cached). */
export const auditNameOf = (input: AuditModelInput) =>
  createHash('sha256').update(canonicalJson(input)).digest('hex').slice(0, 16);

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('audit a retrieval model for background bias: protocol table with intervals, attention maps')
    .option(
      '--experiment <id>',
      'with --cell: the experiment of a bgbias model; else the experiment holding the images',
    )
    .option('--cell <cellId>', 'grid cell of a bgbias model, e.g. synthetic/contrastive/base/s0')
    .option('--tfjs <model.json>', 'a TensorFlow.js model (graph or layers) with its weight files beside it')
    .option('--onnx <file.onnx>', 'an ONNX model (run with onnxruntime-node; no attribution)')
    .option('--convention <file.json>', 'input convention sidecar (default <model>.input.json)')
    .option('--size <n>', 'input side')
    .option('--resize-short <n>', 'shorter side before the centre crop')
    .option('--channels <rgb|bgr>')
    .option('--range <0-1|0-255>')
    .option('--mean <a,b,c>', 'per channel, model order, range units')
    .option('--std <a,b,c>')
    .option('--layout <nhwc|nchw>')
    .option('--l2-normalize <true|false>')
    .option('--input-name <name>')
    .option('--output-name <name>')
    .option('--images-experiment <id>', 'experiment holding the images (default --experiment)')
    .option('--dataset <name>', "prepared dataset of that experiment (default: the cell's)")
    .option('--split <name>', 'train, val or test', 'test')
    .option('--protocols <list>', 'comma-separated (default all: clean, swapped, swapped-query, ...)')
    .option('--repetitions <n>', 'background repetitions of the drawn protocols (default 5)')
    .option('--seed <seed>', 'seed of every draw (default 0)')
    .option('--apply-to <both|queries>', 'only-fg, only-bg, mixed-*: both sides or the queries only')
    .option('--hole <tile|flat>', 'how the object hole is filled (only-bg, mixed donors)')
    .option('--bootstrap <n>', 'bootstrap resamples (default 1000)')
    .option('--attribution-images <n>', 'images with attention maps and scores (default 16; 0 = none)')
    .option('--bucket <name>', 'S3 bucket', 'bgbias')
    .option('--out <dir>', 'where the report goes (default out/audit-<id>)')
    .option('--no-workers', 'do not start a local worker')
    .action(async (opts: AuditOptions) => {
      const input = await auditInputFromOptions(opts);
      const name = auditNameOf(input);
      const session = await openLocalSession(opts.workers);
      const { endpoints, client, worker } = session;
      try {
        const handle = await client.workflow.start('auditModel', {
          taskQueue: TASK_QUEUES.cpu,
          workflowId: auditWorkflowId(name),
          args: [input],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          typedSearchAttributes: [{ key: STAGE, value: 'audit' }],
        });
        console.log(`started ${handle.workflowId}`);
        const result = await watchAudit(handle, worker);
        const dir = path.resolve(opts.out ?? path.join('out', `audit-${name}`));
        await readWaitingOutS3(describeS3Endpoint(endpoints.s3), async () => {
          const store = await ArtifactStore.open(endpoints.s3, opts.bucket);
          fs.mkdirSync(dir, { recursive: true });
          for (const key of await store.list(`${result.report.prefix}/`)) {
            if (key.endsWith('/_manifest.json')) continue;
            await store.download(key, path.join(dir, key.slice(result.report.prefix.length + 1)));
          }
        });
        const report = parseAuditReport(JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')));
        console.log(`\n${renderAuditTableText(report)}\n`);
        if (!report.attribution.available) console.log(`attribution not available: ${report.attribution.reason}`);
        console.log(`audit ${result.audit.cached ? 'cached' : 'computed'}: ${result.audit.prefix}\nreport: ${dir}`);
      } finally {
        await session.close();
      }
    });
}

/** Polls the audit's progress query and prints a line whenever it changes; the result or the failure. */
async function watchAudit(
  handle: { result(): Promise<unknown>; query<T>(name: string): Promise<T>; workflowId: string },
  worker?: { exited(): unknown },
): Promise<AuditModelResult> {
  let finished = false;
  const result = handle.result().finally(() => (finished = true));
  result.catch(() => undefined);
  let last = '';
  let progress: AuditProgress | undefined;
  while (!finished) {
    try {
      progress = await handle.query<AuditProgress>('progress');
      const e = progress.embedding;
      const line =
        `${progress.stage}` +
        (progress.stage === 'protocols' && e
          ? `: ${e.variant} rep ${e.repetition + 1}, ${e.done}/${e.total} images`
          : '');
      if (line !== last) console.log(line);
      last = line;
    } catch {
      // the first workflow task may not have run yet
    }
    if (worker?.exited()) throw new Error('the local worker process exited (see its log under the state folder)');
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
  try {
    return (await result) as AuditModelResult;
  } catch (err) {
    const chain: string[] = [];
    for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
      chain.push(e.message ?? String(e));
    throw new Error(`${handle.workflowId} failed: ${chain.slice(1).join(' <- ') || chain[0]}`, { cause: err });
  }
}
