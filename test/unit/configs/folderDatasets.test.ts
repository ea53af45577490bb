import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { absoluteFolderPaths } from '../../../cli/folderPaths';
import { reproduceId } from '../../../contracts/ids';
import { parseOverrideArgs, resolveExperiment } from '../../../configs/resolve';
import { PAPER_LOSS_PARAMS } from '../../../configs/paper/hyperparameters';
import { SMOKE_LOSS_PARAMS } from '../../../configs/presets';

const MYSHOP = ['datasets=myshop', 'data.folders.myshop=/data/myshop', 'attribution.figureDataset=myshop'];
const resolveArgs = (args: string[], preset = 'smoke') =>
  resolveExperiment({ preset, overrides: parseOverrideArgs(args) });
const issuesOf = (args: string[]) => {
  try {
    resolveArgs(args);
  } catch (e) {
    return (e as { issues?: string[] }).issues ?? [(e as Error).message];
  }
  assert.fail(`accepted: ${args.join(' ')}`);
};

test('a folder dataset from the command line: registered by name, with the default loss table of the preset', () => {
  const smoke = resolveArgs(MYSHOP);
  assert.deepEqual(smoke.datasets, ['myshop']);
  assert.deepEqual(smoke.data.folders, { myshop: '/data/myshop' });
  assert.deepEqual(smoke.lossParams.myshop, SMOKE_LOSS_PARAMS);
  // The paper preset fine-tunes BN-Inception: the paper's CUB200 values.
  const paper = resolveArgs(MYSHOP, 'paper');
  assert.deepEqual(paper.lossParams.myshop, PAPER_LOSS_PARAMS.cub200);
  // One value overridden, the rest of the defaults kept; and the object form with a masks folder.
  const tuned = resolveArgs([
    ...MYSHOP,
    'lossParams.myshop.triplet.margin=0.3',
    'data.folders.myshop={"path":"/data/myshop","masks":"/data/myshop-masks","splitSeed":7}',
  ]);
  assert.deepEqual(tuned.lossParams.myshop!.triplet, { margin: 0.3 });
  assert.deepEqual(tuned.lossParams.myshop!.arcface, SMOKE_LOSS_PARAMS.arcface);
  assert.deepEqual(tuned.data.folders.myshop, {
    path: '/data/myshop',
    masks: '/data/myshop-masks',
    split: 'auto',
    splitSeed: 7,
  });
  // Alongside the built-in dataset, whose table stays its own.
  const both = resolveArgs(['datasets=synthetic,myshop', 'data.folders.myshop=/data/myshop']);
  assert.deepEqual(both.datasets, ['synthetic', 'myshop']);
  assert.notDeepEqual(both.lossParams.synthetic, undefined);
});

test('folder datasets: unregistered, built-in, ill-formed names and relative paths are errors naming the field', () => {
  assert.match(
    issuesOf(['datasets=myshop']).join('\n'),
    /^datasets\.0: unknown dataset 'myshop': expected one of cars196, cub200, sop, synthetic, or a folder registered as data\.folders\.<name>=<path>/m,
  );
  assert.match(
    issuesOf(['data.folders.cub200=/x']).join('\n'),
    /^data\.folders\.cub200: 'cub200' is a built-in dataset/m,
  );
  assert.match(
    issuesOf(['data.folders.My-Shop=/x']).join('\n'),
    /^data\.folders\.My-Shop: a folder dataset is named by lower-case letters/m,
  );
  // A dotted name cannot even be registered: the dot is a path separator of the setting.
  assert.match(issuesOf(['data.folders.my.shop=/x']).join('\n'), /data\.folders\.my: unknown setting/);
  assert.match(issuesOf(['data.folders.myshop=data/myshop']).join('\n'), /^data\.folders\.myshop: .*an absolute path/m);
  assert.match(
    issuesOf([`lossParams.shop2=${JSON.stringify(SMOKE_LOSS_PARAMS)}`]).join('\n'),
    /^lossParams\.shop2: unknown dataset 'shop2'/m,
  );
  assert.match(issuesOf(['data.folders.myshop={"path":"/x","split":"random"}']).join('\n'), /^data\.folders\.myshop/m);
});

test("README's folder-dataset commands parse and resolve as written", () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Your own images as a dataset'),
    readme.indexOf('## Auditing a model'),
  );
  const commands = section
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim().startsWith('npm run bgbias -- run'));
  assert.equal(commands.length, 2, section);
  const temporal = section
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim().startsWith('temporal workflow start'));
  assert.equal(temporal.length, 1, section);
  const input = JSON.parse(/--input '([^']*)'/.exec(temporal[0])![1]) as unknown;
  const fromTemporal = resolveExperiment(input);
  assert.deepEqual(fromTemporal.datasets, ['myshop']);
  assert.ok(temporal[0].includes(`--workflow-id ${reproduceId(fromTemporal.experiment)} `), temporal[0]);
  for (const line of commands) {
    // Shell words: single-quoted parts kept whole, quotes removed.
    const words = [...line.trim().matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
    const preset = words[words.indexOf('--preset') + 1];
    const overrides = words.slice(words.indexOf('--preset') + 2);
    const config = resolveExperiment({ preset, overrides: absoluteFolderPaths(parseOverrideArgs(overrides), '/') });
    assert.deepEqual(config.datasets, ['myshop'], line);
    assert.ok(config.lossParams.myshop, line);
  }
});
