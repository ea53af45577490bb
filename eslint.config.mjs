// ESLint: typescript-eslint's recommended rules and the import layering of docs/CONVENTIONS.md,
// enforced by eslint-plugin-boundaries. `npm run lint` (in .ci/run) must stay clean.
//
// Layers, each importing only those below it (a layer may skip layers):
//   cli -> workers -> workflows -> activities -> lib -> contracts
//   cli, workers -> services -> lib
// configs is data: activities, workers and cli read it; workflows and lib may import its TYPES only
// (lib takes what it needs as arguments). contracts (the names every layer shares) imports nothing.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

const LIB = ['lib-util', 'lib-io', 'lib-image', 'lib-data', 'lib-ml', 'lib-audit', 'lib-report', 'lib-store'];
const external = { origin: ['external', 'core'] };

/** An allow rule for imports from `from` to the element types in `to` (any kind, value or type). */
const allow = (from, to) => ({ from: { type: from }, allow: { to: { type: to } } });
/** An allow rule for TYPE imports only (`import type ...`), erased at run time. */
const allowTypes = (from, to) => ({ from: { type: from }, allow: { to: { type: to }, dependency: { kind: 'type' } } });
/** Disallow every external package for `from`, then allow only the `modules` listed. */
const onlyPackages = (from, modules, message) => [
  { from: { type: from }, disallow: { to: external }, message },
  { from: { type: from }, allow: { to: external, dependency: { module: modules } } },
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.bgbias/**', 'out/**', 'test/fixtures/**', 'scripts/compose-check/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,js,mjs}'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // Unused bindings are errors, except `_`-prefixed ones (deliberately ignored arguments).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read golden fixtures as untyped JSON; spelling out every fixture's shape buys little.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['cli/bin.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', __dirname: 'readonly', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.js', '.json'] } },
      'boundaries/include': ['**/*.ts'],
      'boundaries/elements': [
        { type: 'contracts', pattern: 'contracts/**', mode: 'full' },
        { type: 'configs', pattern: 'configs/**', mode: 'full' },
        // Infrastructure (starting and probing the servers, endpoints and TLS settings, the Temporal client).
        { type: 'services', pattern: 'services/**', mode: 'full' },
        { type: 'lib-util', pattern: 'lib/util/**', mode: 'full' },
        { type: 'lib-io', pattern: 'lib/io/**', mode: 'full' },
        { type: 'lib-image', pattern: 'lib/image/**', mode: 'full' },
        { type: 'lib-data', pattern: 'lib/data/**', mode: 'full' },
        { type: 'lib-ml', pattern: 'lib/ml/**', mode: 'full' },
        { type: 'lib-audit', pattern: 'lib/audit/**', mode: 'full' },
        { type: 'lib-report', pattern: 'lib/report/**', mode: 'full' },
        { type: 'lib-store', pattern: 'lib/store/**', mode: 'full' },
        { type: 'activities', pattern: 'activities/**', mode: 'full' },
        { type: 'workflows', pattern: 'workflows/**', mode: 'full' },
        { type: 'workers', pattern: 'workers/**', mode: 'full' },
        { type: 'cli', pattern: 'cli/**', mode: 'full' },
        // Tests, benchmarks and fixture scripts may use any layer.
        { type: 'tooling', pattern: ['test/**', 'bench/**', 'scripts/**'], mode: 'full' },
      ],
    },
    rules: {
      'boundaries/no-unknown-files': 'error',
      'boundaries/no-unknown': 'error',
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          checkAllOrigins: true,
          checkInternals: false,
          rules: [
            // Packages and Node built-ins: allowed, except where restricted below.
            { allow: { to: external } },
            allow('contracts', ['contracts']),
            ...onlyPackages(
              'contracts',
              ['zod', '@temporalio/common'],
              'contracts/ is imported by every layer, the workflow bundle included: ' +
                'it may use only zod and @temporalio/common',
            ),
            allow('configs', ['configs', 'contracts']),
            allowTypes('configs', LIB),
            ...onlyPackages('configs', ['zod', 'node:path'], 'configs/ is data: it may use only zod and node:path'),
            allow('lib-util', ['lib-util', 'contracts']),
            allow('lib-io', ['lib-io', 'lib-util', 'contracts']),
            allow('lib-image', ['lib-image', 'lib-util', 'contracts']),
            allow('lib-data', ['lib-data', 'lib-image', 'lib-io', 'lib-util', 'contracts']),
            allow('lib-ml', ['lib-ml', 'lib-data', 'lib-image', 'lib-io', 'lib-util', 'contracts']),
            allow('lib-audit', ['lib-audit', 'lib-ml', 'lib-data', 'lib-image', 'lib-io', 'lib-util', 'contracts']),
            allow('lib-report', ['lib-report', 'lib-image', 'lib-util', 'contracts']),
            allow('lib-store', ['lib-store', 'lib-util', 'contracts']),
            {
              from: { type: LIB },
              disallow: { to: external, dependency: { module: '@temporalio/*' } },
              message: 'lib/ never imports Temporal: Temporal-specific code lives in activities, workflows or services',
            },
            allow('services', ['services', ...LIB, 'contracts']),
            allow('activities', ['activities', ...LIB, 'configs', 'contracts']),
            // Where a checkout's files are (stateDir's projectRoot) is needed by one activity: a local copy
            // of the paper's data given relative to the checkout (activities/backgrounds.ts).
            { from: { type: 'activities' }, allow: { to: { type: 'services', path: 'services/stateDir.ts' } } },
            // Workflows are deterministic code bundled for Temporal's sandbox: activity and configuration
            // TYPES, the shared names, and the two Temporal packages meant for workflow code; nothing else.
            allow('workflows', ['workflows', 'contracts']),
            allowTypes('workflows', ['activities', 'configs']),
            ...onlyPackages(
              'workflows',
              ['@temporalio/workflow', '@temporalio/common'],
              'workflows/ may import only @temporalio/workflow and @temporalio/common (deterministic sandbox code)',
            ),
            allow('workers', ['workers', 'activities', 'services', ...LIB, 'configs', 'contracts']),
            allowTypes('workers', ['workflows']),
            allow('cli', ['cli', 'services', ...LIB, 'configs', 'contracts']),
            allowTypes('cli', ['workflows', 'activities']),
            allow('tooling', [
              'tooling',
              'contracts',
              'configs',
              ...LIB,
              'services',
              'activities',
              'workflows',
              'workers',
              'cli',
            ]),
          ],
        },
      ],
    },
  },
);
