/**
 * The workflows' own logic in seconds: the real workflow code on a real Temporal dev server
 * (@temporalio/testing), with stubbed activities (helpers/stubActivities.ts). What the DAG runs and
 * in which order, how many cells at a time, what it reports as cached, the progress query while it
 * runs, and what one failed cell does. test/integration/pipeline.test.ts runs the same workflows on
 * the real activities.
 */
import { after, before, test as nodeTest, type TestFn } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Progress } from '../../workflows/progress';
import type { ReproducePaperResult } from '../../workflows/reproducePaper';
import type { AnalyzeResult } from '../../workflows/analyze';
import { analyzeId, TASK_QUEUES } from '../../contracts/ids';
import { EXPERIMENT, STAGE } from '../../contracts/searchAttributes';
import { startWorkflowTestBed, type WorkflowTestBed } from './helpers/workflowEnvironment';
import { StubStudy } from './helpers/stubActivities';
import { reproducePaperStart } from '../../cli/reproducePaperStart';

// Each test is bounded: a workflow that waits forever must fail the test, not the suite's patience.
const test = (name: string, fn: TestFn) => nodeTest(name, { timeout: 60_000 }, fn);

const study = new StubStudy();
let bed: WorkflowTestBed;

before(async () => {
  // More gpu slots than any grid below runs at once: the workflow alone must bound the cells.
  bed = await startWorkflowTestBed(study.activities(), 8);
});

after(async () => {
  await bed?.stop();
});

/** Two real datasets x two losses x both modes: 8 cells in grid order. */
const PAPER_GRID = [
  'cub200/contrastive/base/s1',
  'cub200/contrastive/bgaugment/s1',
  'cub200/triplet/base/s1',
  'cub200/triplet/bgaugment/s1',
  'sop/contrastive/base/s1',
  'sop/contrastive/bgaugment/s1',
  'sop/triplet/base/s1',
  'sop/triplet/bgaugment/s1',
];

function paperInput(experiment: string, cells: number, extra: Record<string, unknown> = {}) {
  return {
    preset: 'paper',
    overrides: {
      experiment,
      datasets: ['cub200', 'sop'],
      losses: ['contrastive', 'triplet'],
      seeds: [1],
      'attribution.figureDataset': 'cub200',
      'concurrency.cells': cells,
      ...extra,
    },
  };
}

async function start(experiment: string, input: unknown): Promise<WorkflowHandle> {
  return bed.env.client.workflow.start('reproducePaper', reproducePaperStart(experiment, 'paper', input));
}

const before_ = (events: string[], a: string, b: string) => {
  const i = events.indexOf(a);
  const j = events.indexOf(b);
  assert.ok(i >= 0 && j >= 0 && i < j, `expected "${a}" before "${b}" in:\n${events.join('\n')}`);
};

test('config -> prepare -> grid -> analyze -> report, in order, concurrency.cells at a time', async () => {
  study.scenarios.set('dag', { trainMs: 300 });
  const handle = await start('dag', paperInput('dag', 3, { 'attribution.chunkImages': 4 }));
  const result = await handle.result();
  const mine = study.events.slice(study.events.indexOf('saveExperiment dag') - 1);

  assert.deepEqual(mine.slice(0, 2), ['resolveConfig', 'saveExperiment dag']);
  // Data: each dataset download -> mask parts (planned, then each part) -> build -> mask quality,
  // all of it before the first training.
  for (const d of ['cub200', 'sop']) {
    before_(mine, `downloadDatasetArchives ${d}`, `planMaskParts ${d}`);
    for (const part of [0, 1]) {
      before_(mine, `planMaskParts ${d}`, `computeMaskPart ${d} ${part}`);
      before_(mine, `computeMaskPart ${d} ${part}`, `buildPreparedDataset ${d}`);
    }
    before_(mine, `buildPreparedDataset ${d}`, `measureMaskQuality ${d}`);
  }
  const firstTrain = mine.findIndex((e) => e.startsWith('trainCell'));
  const prepared = mine.slice(2, firstTrain).sort();
  assert.deepEqual(prepared, [
    'buildPreparedDataset cub200',
    'buildPreparedDataset sop',
    'computeMaskPart cub200 0',
    'computeMaskPart cub200 1',
    'computeMaskPart sop 0',
    'computeMaskPart sop 1',
    'downloadDatasetArchives cub200',
    'downloadDatasetArchives sop',
    'measureMaskQuality cub200',
    'measureMaskQuality sop',
    'planMaskParts cub200',
    'planMaskParts sop',
    'prepareBackgrounds',
  ]);
  // Grid: every cell trained once, then tested with its own training's output, then recorded.
  assert.deepEqual(
    mine
      .filter((e) => e.startsWith('trainCell'))
      .map((e) => e.slice(10))
      .sort(),
    PAPER_GRID,
  );
  for (const id of PAPER_GRID) {
    before_(mine, `trainCell ${id}`, `evaluateCell ${id} after train:${id}`);
    before_(mine, `evaluateCell ${id} after train:${id}`, `recordCell ${id}`);
  }
  // At most concurrency.cells cells between training start and record, and the grid used them all.
  assert.equal(study.maxInFlight.get('dag'), 3);
  // Analysis only after the whole grid: the models come from the records, one after the other, each
  // one's test split (10 images) in chunks of 4 (any order among themselves), combined, then the report.
  const listed = mine.indexOf('listTrainedCells dag');
  assert.ok(mine.slice(0, listed).filter((e) => e.startsWith('recordCell')).length === PAPER_GRID.length);
  const analysis = mine.slice(listed + 1);
  const expected: string[] = [];
  let at = 0;
  for (const id of PAPER_GRID) {
    assert.deepEqual(
      analysis.slice(at, at + 3).sort(),
      ['0-4', '4-8', '8-10'].map((r) => `attributeChunk ${id} ${r}`),
    );
    expected.push(...analysis.slice(at, at + 3), `attributeCell ${id} 0-4,4-8,8-10`);
    at += 4;
  }
  assert.deepEqual(analysis, [...expected, `writeReport ${PAPER_GRID.join(',')}`]);

  assert.equal(result.experiment, 'dag');
  assert.deepEqual(
    result.cells.map((c: ReproducePaperResult['cells'][number]) => [c.cellId, c.trainCached, c.swappedMapAtR]),
    PAPER_GRID.map((id) => [id, false, id.includes('base') ? 0.5 : 0.7]),
  );
  const p: Progress = await handle.query('progress');
  assert.deepEqual(
    { ...p, cells: undefined },
    {
      experiment: 'dag',
      preset: 'paper',
      stage: 'done',
      stages: { config: 'done', prepare: 'done', train: 'done', analyze: 'done', report: 'done' },
      datasets: { cub200: 'done', sop: 'done' },
      backgrounds: 'done',
      cells: undefined,
      analysis: { state: 'done', done: 8, total: 8, cached: 0 },
      reportPrefix: result.reportPrefix,
    },
  );
  assert.deepEqual(p.cells[0], {
    id: 'cub200/contrastive/base/s1',
    dataset: 'cub200',
    loss: 'contrastive',
    mode: 'base',
    seed: 1,
    // From the training's cellProgress signal, then the finished record:
    state: 'done',
    epoch: 4,
    maxEpochs: 1000,
    trainLoss: 0.5,
    valClean: 0.7,
    valSwapped: 0.4,
    resumedFromEpoch: 2,
    test: { clean: { mapAtR: 0.8, precisionAt1: 0.8, rPrecision: 0.8 }, swappedMapAtR: 0.5 },
    // From the analyze child's analysisProgress signal:
    attention: 0.1,
  });
  // The stage attribute followed the run; children carry the experiment and their own stage.
  assert.equal((await handle.describe()).typedSearchAttributes.get(STAGE), 'done');
  const child = await bed.env.client.workflow.getHandle('bgbias/dag/cell/sop/triplet/base/s1').describe();
  assert.equal(child.typedSearchAttributes.get(EXPERIMENT), 'dag');
  assert.equal(child.typedSearchAttributes.get(STAGE), 'train');
});

test('a folder dataset is imported, then built, beside a paper dataset; no archive download, no mask-quality check', async () => {
  const handle = await start(
    'folders',
    paperInput('folders', 2, { datasets: ['cub200', 'myshop'], 'data.folders.myshop': '/data/myshop' }),
  );
  const result: ReproducePaperResult = await handle.result();
  const mine = study.events.slice(study.events.indexOf('saveExperiment folders') - 1);
  before_(mine, 'importFolderDataset myshop', 'buildFolderDataset myshop');
  const firstTrain = mine.findIndex((e) => e.startsWith('trainCell'));
  assert.ok(mine.indexOf('buildFolderDataset myshop') < firstTrain, 'prepared before the grid');
  for (const e of mine)
    assert.ok(!/^(downloadDatasetArchives|buildPreparedDataset|measureMaskQuality) myshop/.test(e), e);
  assert.deepEqual(
    result.cells.filter((c) => c.cellId.startsWith('myshop/')).map((c) => c.cellId),
    PAPER_GRID.filter((id) => id.startsWith('cub200/')).map((id) => id.replace('cub200/', 'myshop/')),
  );
  const p: Progress = await handle.query('progress');
  assert.deepEqual(Object.keys(p.datasets).sort(), ['cub200', 'myshop']);
});

test('the same study again: every stage reported cached, except a cell whose test had to run again', async () => {
  // dag's first run stored everything; drop one cell's test result, as if it had never been stored.
  study.forget('dag', 'evaluate', 'sop/triplet/base/s1');
  const handle = await start('dag', paperInput('dag', 3, { 'attribution.chunkImages': 4 }));
  const result: ReproducePaperResult = await handle.result();
  const p: Progress = await handle.query('progress');
  assert.deepEqual(p.datasets, { cub200: 'cached', sop: 'cached' });
  assert.equal(p.backgrounds, 'cached');
  // A cell counts as cached only when its training AND its test came from the store.
  assert.deepEqual(
    p.cells.map((c) => [c.id, c.state]),
    PAPER_GRID.map((id) => [id, id === 'sop/triplet/base/s1' ? 'done' : 'cached']),
  );
  assert.ok(result.cells.every((c) => c.trainCached));
  assert.deepEqual(
    result.cells.filter((c) => !c.evaluationCached).map((c) => c.cellId),
    ['sop/triplet/base/s1'],
  );
  assert.deepEqual(p.analysis, { state: 'done', done: 8, total: 8, cached: 8 });
  assert.equal(p.stages.report, 'cached');
  assert.equal(result.reportCached, true);
});

test('the progress query while cells train: stage, finished data, running cells with their last epoch', async () => {
  let release!: () => void;
  const hold = new Promise<void>((r) => (release = r));
  study.scenarios.set('live', { holdTraining: hold });
  // The smoke preset: the generated dataset in one step, 2 losses x 2 modes, 2 cells at a time.
  const handle = await start('live', {
    preset: 'smoke',
    overrides: { experiment: 'live', losses: ['contrastive', 'triplet'], 'concurrency.cells': 2 },
  });
  // Until both running cells have signalled their epoch (a deadline, so a broken workflow fails, not hangs).
  let p: Progress = await handle.query('progress');
  for (const deadline = Date.now() + 20_000; p.cells.filter((c) => c.epoch === 3).length < 2; ) {
    if (Date.now() > deadline) assert.fail(`two cells never reported epoch 3: ${JSON.stringify(p.cells)}`);
    await new Promise((r) => setTimeout(r, 50));
    p = await handle.query('progress');
  }
  // Held long enough for a third cell to start, were the bound broken.
  await new Promise((r) => setTimeout(r, 300));
  p = await handle.query('progress');
  assert.equal(p.stage, 'train');
  assert.deepEqual(p.stages, {
    config: 'done',
    prepare: 'done',
    train: 'running',
    analyze: 'pending',
    report: 'pending',
  });
  assert.deepEqual(p.datasets, { synthetic: 'done' });
  assert.deepEqual(
    p.cells.map((c) => [c.id, c.state]),
    [
      ['synthetic/contrastive/base/s42', 'running'],
      ['synthetic/contrastive/bgaugment/s42', 'running'],
      ['synthetic/triplet/base/s42', 'pending'],
      ['synthetic/triplet/bgaugment/s42', 'pending'],
    ],
  );
  const running = p.cells[0];
  assert.deepEqual(
    [
      running.epoch,
      running.maxEpochs,
      running.trainLoss,
      running.valClean,
      running.valSwapped,
      running.resumedFromEpoch,
    ],
    [3, 30, 0.5, 0.7, 0.4, 2],
  );
  assert.equal(running.test, undefined);
  assert.equal(p.analysis.state, 'pending');
  release();
  await handle.result();
  p = await handle.query('progress');
  assert.equal(p.stage, 'done');
  assert.ok(p.cells.every((c) => c.state === 'done' && c.epoch === 4 && c.test !== undefined));
  assert.deepEqual(study.eventsOf('generateSyntheticDataset'), ['synthetic']);
});

test('a failed cell fails the study: cell and train stage show the cause, later cells never start', async () => {
  study.scenarios.set('broken', { failTraining: 'cub200/contrastive/bgaugment/s1' });
  const handle = await start('broken', paperInput('broken', 1));
  const err = await handle.result().then(
    () => assert.fail('the study should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError, String(err));
  const p: Progress = await handle.query('progress');
  assert.equal(p.stage, 'failed');
  assert.match(p.error ?? '', /training of cub200\/contrastive\/bgaugment\/s1 diverged: loss is NaN at epoch 2/);
  assert.deepEqual(p.stages, {
    config: 'done',
    prepare: 'done',
    train: 'failed',
    analyze: 'pending',
    report: 'pending',
  });
  assert.deepEqual(
    p.cells.map((c) => c.state),
    ['done', 'failed', 'pending', 'pending', 'pending', 'pending', 'pending', 'pending'],
  );
  assert.equal(p.cells[1].error, 'training of cub200/contrastive/bgaugment/s1 diverged: loss is NaN at epoch 2');
  // One cell at a time, in grid order: the cells after the failed one were never trained, nothing was analyzed.
  const mine = study.events.slice(study.events.indexOf('saveExperiment broken'));
  assert.deepEqual(
    mine.filter((e) => e.startsWith('trainCell')),
    ['trainCell cub200/contrastive/base/s1', 'trainCell cub200/contrastive/bgaugment/s1'],
  );
  assert.ok(!mine.includes('listTrainedCells broken'));
});

test('analyze alone recomputes every attribution (force) and a new report; nothing trains', async () => {
  const trained = study.eventsOf('trainCell').length;
  const handle = await bed.env.client.workflow.start('analyze', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: analyzeId('dag'),
    args: [{ experiment: 'dag', force: true }],
  });
  const result: AnalyzeResult = await handle.result();
  assert.ok(result.attributions.every((a) => !a.result.cached));
  assert.equal(result.reportCached, false);
  const p: Progress = await handle.query('progress');
  assert.deepEqual(
    { stage: p.stage, stages: p.stages, analysis: p.analysis },
    {
      stage: 'done',
      stages: { analyze: 'done', report: 'done' },
      analysis: { state: 'done', done: 8, total: 8, cached: 0 },
    },
  );
  assert.deepEqual(
    p.cells.map((c) => [c.id, c.state, c.attention, c.test?.swappedMapAtR]),
    PAPER_GRID.map((id) => [id, 'done', id.includes('base') ? 0.1 : 0.4, id.includes('base') ? 0.5 : 0.7]),
  );
  assert.equal(study.eventsOf('trainCell').length, trained);

  const none = await bed.env.client.workflow.start('analyze', {
    taskQueue: TASK_QUEUES.cpu,
    workflowId: analyzeId('never-run'),
    args: [{ experiment: 'never-run' }],
  });
  await assert.rejects(none.result(), WorkflowFailedError);
});

test('the analysis progress total counts the models the analysis attributes, not the grid of the run', async () => {
  // An earlier run of the experiment stored 8 cells; this run's grid has 4 (one loss), and the
  // analysis attributes every model it finds in the store: 8.
  await (await start('recount', paperInput('recount', 4))).result();
  const handle = await start('recount', paperInput('recount', 4, { losses: ['triplet'] }));
  await handle.result();
  const p: Progress = await handle.query('progress');
  assert.equal(p.cells.length, 4);
  assert.deepEqual(p.analysis, { state: 'done', done: 8, total: 8, cached: 8 });
});
