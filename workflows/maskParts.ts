import type { ExperimentConfig } from '../configs/schema';
import type { DatasetName } from '../contracts/grid';
import type { DatasetArchives } from '../activities/types';
import { cpu, gpu } from './activityProxies';
import { mapBounded } from './mapBounded';

/** Mask parts in flight at once: the gpu-queue workers take them as their slots free up. */
const PARTS_IN_FLIGHT = 32;

/**
 * A real dataset's u2net masks fanned out: planMaskParts (cpu: the image order, stored once) ->
 * computeMaskPart per part of `data.masks.chunkImages` images (gpu queue: any worker takes any part,
 * with CUDA where it has it; each part is stored by digest, so a lost worker costs its part and a
 * rerun skips stored ones). The history holds a key and two numbers per part (SOP: 241 parts, a few
 * events each). Returns what the parts computed, for the prepared stage's mask timing.
 */
export async function computeMaskParts(
  config: ExperimentConfig,
  dataset: DatasetName,
  archives: DatasetArchives,
): Promise<{ images: number; seconds: number }> {
  const plan = await cpu.planMaskParts(config, dataset, archives);
  const g = gpu(config.training.heartbeatSeconds);
  const parts = Array.from({ length: plan.parts }, (_, part) => part);
  const done = await mapBounded(parts, PARTS_IN_FLIGHT, (part) =>
    g.computeMaskPart({ config, dataset, archives, part }),
  );
  return {
    images: done.reduce((s, r) => s + r.computed, 0),
    seconds: done.reduce((s, r) => s + r.seconds, 0),
  };
}
