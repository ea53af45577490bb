/**
 * The hyperparameter tables of docs/protocol.md, generated from the paper preset (configs/), so the
 * document and the settings cannot drift: test/unit/docs/protocolTables.test.ts fails when a number
 * changes in either place without the other.
 *
 *   node --import tsx scripts/protocolTables.ts          # check: exit 1 naming the stale tables
 *   node --import tsx scripts/protocolTables.ts --write  # rewrite the tables in docs/protocol.md
 *
 * Each table sits between `<!-- BEGIN GENERATED <name> ... -->` and `<!-- END GENERATED <name> -->`;
 * the text around them is written by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveExperiment } from '../configs/resolve';
import { SAMPLER_M } from '../configs/paper/hyperparameters';
import type { ExperimentConfig } from '../configs/schema';

export const PROTOCOL_DOC = join(__dirname, '..', 'docs', 'protocol.md');

type Row = readonly string[];

/** A value as the doc shows it: numbers in JavaScript's shortest round-trip form (= Python's repr). */
function show(v: unknown): string {
  if (v === undefined) return '(all)';
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (typeof v === 'string') return `\`${v}\``;
  return String(v);
}

function table(header: Row, rows: readonly Row[]): string {
  const line = (r: Row) => `| ${r.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function settings(config: ExperimentConfig, paths: readonly string[]): string {
  const get = (path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config);
  return table(
    ['setting', 'value'],
    paths.map((p) => [`\`${p}\``, show(get(p))]),
  );
}

/** The tables by name, in document order. */
export function renderTables(config: ExperimentConfig): Record<string, string> {
  const datasets = config.datasets;
  const lossRows: Row[] = [];
  for (const loss of config.losses) {
    const names = Object.keys(config.lossParams[datasets[0]]![loss]);
    for (const name of names)
      lossRows.push([
        `\`${loss}\``,
        `\`${name}\``,
        ...datasets.map((d) => show((config.lossParams[d]![loss] as Record<string, number>)[name])),
      ]);
  }
  return {
    grid: settings(config, ['datasets', 'losses', 'modes', 'seeds']),
    masks: settings(config, ['data.masks.u2netUrl', 'data.masks.u2netMd5']),
    transforms: settings(config, [
      'data.preparedShortSide',
      'data.preparedFormat',
      'transform.resizeShort',
      'transform.crop',
      'transform.scale',
      'transform.ratio',
      'transform.mean',
    ]),
    evaluation: settings(config, [
      'evaluation.swappedRepetitions',
      'evaluation.valBackgrounds',
      'evaluation.testBackgrounds',
    ]),
    model: settings(config, [
      'model.kind',
      'model.embeddingSize',
      'model.pretrained',
      'model.pretrainedUrl',
      'model.pretrainedSha256Prefix',
    ]),
    optimizer: settings(config, [
      'optimizer.lr',
      'optimizer.weightDecay',
      'optimizer.momentum',
      'optimizer.alpha',
      'optimizer.eps',
    ]),
    sampler: [
      settings(config, ['sampler.batchSize', 'sampler.iterationsPerEpoch']),
      '',
      table(
        ['loss', 'm (images per class in a batch)'],
        config.losses.map((l) => [`\`${l}\``, show(SAMPLER_M[l])]),
      ),
    ].join('\n'),
    training: settings(config, ['training.maxEpochs', 'training.patience', 'training.validateBeforeTraining']),
    losses: table(['loss', 'parameter', ...datasets], lossRows),
    attribution: settings(config, [
      'attribution.copies',
      'attribution.noiseLevel',
      'attribution.maxImages',
      'attribution.figureImages',
      'attribution.figureLoss',
      'attribution.figureDataset',
    ]),
  };
}

const BLOCK = /<!-- BEGIN GENERATED (\w+)[^>]*-->\n([\s\S]*?)<!-- END GENERATED \1 -->/g;

/** The document with every generated block replaced; throws when a table has no block or a block no table. */
export function updateDoc(text: string, tables: Record<string, string>): string {
  const seen = new Set<string>();
  const out = text.replace(BLOCK, (_all, name: string) => {
    if (!(name in tables)) throw new Error(`docs/protocol.md: generated block '${name}' has no table`);
    if (seen.has(name)) throw new Error(`docs/protocol.md: generated block '${name}' appears twice`);
    seen.add(name);
    return `<!-- BEGIN GENERATED ${name} (scripts/protocolTables.ts) -->\n${tables[name]}\n<!-- END GENERATED ${name} -->`;
  });
  const missing = Object.keys(tables).filter((n) => !seen.has(n));
  if (missing.length > 0) throw new Error(`docs/protocol.md: no generated block for ${missing.join(', ')}`);
  return out;
}

/** Names of the blocks whose text differs from the tables. */
export function staleTables(text: string, tables: Record<string, string>): string[] {
  const stale: string[] = [];
  for (const m of text.matchAll(BLOCK)) if (`${tables[m[1]]}\n` !== m[2]) stale.push(m[1]);
  return stale;
}

export function paperTables(): Record<string, string> {
  return renderTables(resolveExperiment({ preset: 'paper' }));
}

if (require.main === module) {
  const text = readFileSync(PROTOCOL_DOC, 'utf8');
  const tables = paperTables();
  const updated = updateDoc(text, tables);
  if (process.argv.includes('--write')) {
    writeFileSync(PROTOCOL_DOC, updated);
    console.log(`docs/protocol.md: ${Object.keys(tables).length} tables written`);
  } else if (updated !== text) {
    console.error(
      `docs/protocol.md is out of date in: ${staleTables(text, tables).join(', ')} (run with --write after checking configs)`,
    );
    process.exit(1);
  } else console.log('docs/protocol.md: tables up to date');
}
