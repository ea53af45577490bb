import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runWorkers } from '../../workers/runWorkers';
import type { ServiceEndpoints } from '../../services/embedded';

/**
 * Overrides that shrink the smoke preset to seconds: a small synthetic set, 32x32 crops, a narrow
 * CNN, two epochs. Everything else (stages, stores, losses, evaluation, attribution) is the real path.
 */
export function tinyOverrides(experiment: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    experiment,
    losses: ['contrastive'],
    'data.synthetic.size': 40,
    'data.synthetic.classes': { train: 8, val: 4, test: 4 },
    'data.synthetic.imagesPerClass': 6,
    'data.preparedShortSide': 40,
    'transform.resizeShort': 40,
    'transform.crop': 32,
    'model.width': 8,
    'sampler.batchSize': 16,
    'sampler.iterationsPerEpoch': 3,
    'training.maxEpochs': 2,
    'training.heartbeatSeconds': 2,
    'evaluation.swappedRepetitions': 2,
    'attribution.copies': 3,
    'attribution.maxImages': 4,
    'attribution.figureImages': 2,
    'attribution.figureLoss': 'contrastive',
    'lossParams.synthetic.contrastive': { posMargin: 0.2, negMargin: 0.5 },
    ...extra,
  };
}

/** Cpu + gpu workers in this process until `stop()`. */
export function startInProcessWorkers(endpoints: ServiceEndpoints): { cacheDir: string; stop(): Promise<void> } {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgbias-cache-'));
  const controller = new AbortController();
  const running = runWorkers({ endpoints, queues: ['cpu', 'gpu'], cacheDir, log: () => undefined }, controller.signal);
  running.catch((err) => console.error('workers failed:', err));
  return {
    cacheDir,
    async stop() {
      controller.abort();
      await running.catch(() => undefined);
      fs.rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

/** A workflow's result; on failure an error whose message carries the whole cause chain. */
export async function resultExplained<T>(handle: { result(): Promise<unknown>; workflowId: string }): Promise<T> {
  try {
    return (await handle.result()) as T;
  } catch (err) {
    const parts: string[] = [];
    for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
      parts.push(e.message ?? String(e));
    throw new Error(`${handle.workflowId}: ${parts.join(' <- ')}`, { cause: err });
  }
}
