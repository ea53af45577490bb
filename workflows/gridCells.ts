import { ApplicationFailure } from '@temporalio/workflow';
import type { ExperimentConfig } from '../configs/schema';
import type { GridCell } from '../contracts/grid';

/**
 * 2,000 pending children is Temporal's hard limit per run; a grid larger than this needs
 * continue-as-new batches, which reproducePaper does not do.
 */
export const MAX_GRID_CELLS = 1500;

/** The training grid in a fixed order: dataset, then loss, then mode, then seed. */
export function gridCells(config: ExperimentConfig): GridCell[] {
  const cells: GridCell[] = [];
  for (const dataset of config.datasets)
    for (const loss of config.losses)
      for (const mode of config.modes) for (const seed of config.seeds) cells.push({ dataset, loss, mode, seed });
  if (cells.length > MAX_GRID_CELLS) {
    throw ApplicationFailure.nonRetryable(
      `grid of ${cells.length} cells is larger than one run supports (${MAX_GRID_CELLS})`,
      'InvalidConfigError',
    );
  }
  return cells;
}
