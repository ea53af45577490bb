/**
 * Stubbed activities for workflow tests: the real configuration activity (pure code), everything
 * else a fake that keeps its results in memory like the store would: a stage seen before answers
 * "cached", cell records are listed back to `analyze`. Every call is logged in order, in-flight
 * cells are counted, and a test can hold, fail or forget single stages.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Activities } from '../../../activities';
import { resolveConfig } from '../../../activities/config';
import type {
  AttributionResult,
  BackgroundsRef,
  CellRecord,
  DatasetRef,
  EvalResult,
  TrainResult,
} from '../../../activities/types';
import type { ExperimentConfig } from '../../../configs/schema';
import type { GridCell } from '../../../contracts/grid';
import { CELL_PROGRESS_SIGNAL, type CellProgressSignal } from '../../../contracts/progress';
import { cellId } from '../../../contracts/ids';

export interface Scenario {
  /** Training of this cell fails (not retryable, so the test does not wait for retries). */
  failTraining?: string;
  /** Training waits for this before it ends (progress can be queried meanwhile). */
  holdTraining?: Promise<void>;
  trainMs?: number;
}

const split = { shardKeys: ['k'], count: 10, numClasses: 2 };
const score = (v: number) => ({ mapAtR: v, precisionAt1: v, rPrecision: v });
const repeated = (v: number) => ({ mean: v, std: 0.01, reps: [v - 0.01, v + 0.01] });

export class StubStudy {
  /** `<activity> <what>` per call, in the order the activities ran. */
  readonly events: string[] = [];
  readonly scenarios = new Map<string, Scenario>();
  private readonly stored = new Set<string>();
  private readonly configs = new Map<string, ExperimentConfig>();
  private readonly records = new Map<string, Map<string, CellRecord>>();
  private inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();

  /** Drops stored results of `stage` whose key starts with `prefix` (the next run recomputes them). */
  forget(experiment: string, stage: string, prefix = ''): void {
    for (const key of [...this.stored]) if (key.startsWith(`${experiment}/${stage}/${prefix}`)) this.stored.delete(key);
  }

  eventsOf(activity: string): string[] {
    return this.events.filter((e) => e.startsWith(`${activity} `)).map((e) => e.slice(activity.length + 1));
  }

  /** Whether the stage ran before (then "cached"); remembers it either way. */
  private cached(experiment: string, stage: string, key: string): boolean {
    const k = `${experiment}/${stage}/${key}`;
    const was = this.stored.has(k);
    this.stored.add(k);
    return was;
  }

  private ref(experiment: string, stage: string, key: string) {
    return {
      prefix: `${experiment}/${stage}/${key}`,
      digest: `${stage}:${key}`,
      cached: this.cached(experiment, stage, key),
    };
  }

  private cellInFlight(experiment: string, delta: number): void {
    const n = (this.inFlight.get(experiment) ?? 0) + delta;
    this.inFlight.set(experiment, n);
    this.maxInFlight.set(experiment, Math.max(n, this.maxInFlight.get(experiment) ?? 0));
  }

  activities(): Activities {
    const log = (line: string) => this.events.push(line);
    const dataset = (config: ExperimentConfig, d: DatasetRef['dataset']): DatasetRef => ({
      ...this.ref(config.experiment, 'dataset', d),
      dataset: d,
      splits: { train: split, val: split, test: split },
    });
    return {
      resolveConfig: async (input) => {
        log('resolveConfig');
        return resolveConfig(input);
      },
      saveExperiment: async (config) => {
        log(`saveExperiment ${config.experiment}`);
        this.configs.set(config.experiment, config);
      },
      prepareBackgrounds: async (config): Promise<BackgroundsRef> => {
        log('prepareBackgrounds');
        return {
          ...this.ref(config.experiment, 'backgrounds', 'pools'),
          pools: { val: { key: 'bg/val', count: 100 }, test: { key: 'bg/test', count: 100 } },
        };
      },
      generateSyntheticDataset: async (config) => {
        log('generateSyntheticDataset synthetic');
        return dataset(config, 'synthetic');
      },
      downloadDatasetArchives: async (config, d) => {
        log(`downloadDatasetArchives ${d}`);
        return { dataset: d, archives: [], skipped: [] };
      },
      planMaskParts: async (config, d) => {
        log(`planMaskParts ${d}`);
        return { prefix: `masks/${d}/digest`, parts: 2, images: 3 };
      },
      computeMaskPart: async ({ dataset: d, part }) => {
        log(`computeMaskPart ${d} ${part}`);
        return { key: `masks/${d}/digest/part-${part}.bgsh`, computed: part === 0 ? 2 : 1, seconds: 1 };
      },
      buildPreparedDataset: async (config, d, archives) => {
        log(`buildPreparedDataset ${archives.dataset}`);
        return dataset(config, d);
      },
      measureMaskQuality: async (config, d) => {
        log(`measureMaskQuality ${d}`);
        return [];
      },
      importFolderDataset: async (config, d) => {
        log(`importFolderDataset ${d}`);
        return { ...this.ref('imports', 'folder', d), dataset: d, images: 10, bytes: 100, masks: false };
      },
      buildFolderDataset: async (config, d, imported) => {
        log(`buildFolderDataset ${imported.dataset}`);
        return dataset(config, d);
      },
      trainCell: async ({ config, cell, progressWorkflowId }): Promise<TrainResult> => {
        const id = cellId(cell);
        const scenario = this.scenarios.get(config.experiment) ?? {};
        log(`trainCell ${id}`);
        this.cellInFlight(config.experiment, +1);
        if (progressWorkflowId) {
          const signal: CellProgressSignal = {
            cellId: id,
            epoch: 3,
            maxEpochs: config.training.maxEpochs,
            trainLoss: 0.5,
            valClean: 0.7,
            valSwapped: 0.4,
            resumedFromEpoch: 2,
          };
          await Context.current()
            .client.workflow.getHandle(progressWorkflowId)
            .signal<[CellProgressSignal]>(CELL_PROGRESS_SIGNAL, signal);
        }
        await new Promise((r) => setTimeout(r, scenario.trainMs ?? 0));
        await scenario.holdTraining;
        if (scenario.failTraining === id) {
          this.cellInFlight(config.experiment, -1);
          throw ApplicationFailure.nonRetryable(`training of ${id} diverged: loss is NaN at epoch 2`, 'BadInputError');
        }
        return {
          ...this.ref(config.experiment, 'train', id),
          bestEpoch: 3,
          epochsTrained: 4,
          bestMetric: 0.7,
          monitored: cell.mode === 'base' ? 'clean' : 'swapped',
          bestWeightsKey: `${id}/best.bgwt`,
          historyKey: `${id}/history.json`,
          trainSeconds: 1,
        };
      },
      evaluateCell: async ({ config, cell, train }): Promise<EvalResult> => {
        log(`evaluateCell ${cellId(cell)} after ${train.digest}`);
        return {
          ...this.ref(config.experiment, 'evaluate', cellId(cell)),
          clean: score(0.8),
          swapped: {
            mapAtR: repeated(cell.mode === 'base' ? 0.5 : 0.7),
            precisionAt1: repeated(0.6),
            rPrecision: repeated(0.6),
          },
        };
      },
      recordCell: async (config, record) => {
        log(`recordCell ${record.cellId}`);
        if (!this.records.has(config.experiment)) this.records.set(config.experiment, new Map());
        this.records.get(config.experiment)!.set(record.cellId, record);
        this.cellInFlight(config.experiment, -1);
      },
      listTrainedCells: async (experiment) => {
        log(`listTrainedCells ${experiment}`);
        const config = this.configs.get(experiment);
        if (!config) throw ApplicationFailure.nonRetryable(`experiment ${experiment}: no config`, 'BadInputError');
        const cells = [...(this.records.get(experiment)?.values() ?? [])].sort((a, b) =>
          a.cellId.localeCompare(b.cellId),
        );
        return { config, cells };
      },
      attributeChunk: async ({ config, record, recomputeToken, chunk }) => {
        log(`attributeChunk ${record.cellId} ${chunk.start}-${chunk.end}`);
        const key = `${record.cellId}/${chunk.start}${recomputeToken ? `/${recomputeToken}` : ''}`;
        return {
          ...this.ref(config.experiment, 'attribution-chunk', key),
          chunk,
          scoresKey: `${key}/scores.json`,
          mapsKey: `${key}/maps.bgwt`,
          seconds: 1,
        };
      },
      attributeCell: async ({ config, record, recomputeToken, chunks }): Promise<AttributionResult> => {
        log(`attributeCell ${record.cellId} ${(chunks ?? []).map((c) => `${c.chunk.start}-${c.chunk.end}`).join(',')}`);
        const key = `${record.cellId}${recomputeToken ? `/${recomputeToken}` : ''}`;
        return {
          ...this.ref(config.experiment, 'attribution', key),
          attention: {
            mean: record.cell.mode === 'base' ? 0.1 : 0.4,
            std: 0.1,
            n: 5,
            undefinedScores: { n: 0, ids: [] },
          },
          mapsKey: `${key}/maps.bgwt`,
        };
      },
      writeReport: async (config, attributions) => {
        log(`writeReport ${attributions.map((a) => a.cellId).join(',')}`);
        const key = attributions.map((a) => a.attribution.digest).join('+');
        const ref = this.ref(config.experiment, 'report', key);
        return { prefix: ref.prefix, cached: ref.cached, files: ['report.json'] };
      },
      // The audit's activities are tested on real services (test/integration/audit.test.ts).
      resolveAudit: () => Promise.reject(new Error('resolveAudit: not stubbed')),
      runAudit: () => Promise.reject(new Error('runAudit: not stubbed')),
      writeAuditReport: () => Promise.reject(new Error('writeAuditReport: not stubbed')),
    };
  }
}

export type { GridCell };
