/** `bgbias audit` flags -> the auditModel input, and the mistakes it names before anything starts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { auditInputFromOptions, auditNameOf, type AuditOptions } from '../../../cli/commands/audit';

const ONNX = path.join(__dirname, '../../fixtures/audit/tiny_net/onnx/tiny_net.onnx');
const base: AuditOptions = { bucket: 'bgbias', workers: false };

test('a bgbias cell: its own images by default, settings from flags', async () => {
  const input = await auditInputFromOptions({
    ...base,
    experiment: 'smoke',
    cell: 'synthetic/contrastive/base/s42',
    repetitions: '3',
    seed: '7',
    protocols: 'clean, swapped',
    bootstrap: '500',
  });
  assert.deepEqual(input, {
    bucket: 'bgbias',
    model: { kind: 'bgbias', experiment: 'smoke', cell: 'synthetic/contrastive/base/s42' },
    settings: { protocols: ['clean', 'swapped'], repetitions: 3, seed: 7, bootstrap: { resamples: 500 } },
  });
});

test('an ONNX model: the sidecar convention is read and sent, the images named', async () => {
  const input = await auditInputFromOptions({ ...base, onnx: ONNX, experiment: 'smoke', dataset: 'synthetic' });
  assert.equal(input.model.kind, 'onnx');
  assert.equal(input.convention?.layout, 'nchw');
  assert.equal(input.convention?.channels, 'rgb');
  assert.deepEqual(input.images, { experiment: 'smoke', dataset: 'synthetic', split: 'test' });
  // flags replace the sidecar; the same input always gets the same id
  const flags = await auditInputFromOptions({
    ...base,
    onnx: ONNX,
    experiment: 'smoke',
    dataset: 'synthetic',
    size: '16',
    channels: 'bgr',
    range: '0-255',
  });
  assert.equal(flags.convention?.channels, 'bgr');
  assert.equal(auditNameOf(flags), auditNameOf(structuredClone(flags)));
  assert.notEqual(auditNameOf(flags), auditNameOf(input));
});

test('mistakes are named before anything starts', async () => {
  const cases: Array<[AuditOptions, RegExp]> = [
    [{ ...base }, /give exactly one model/],
    [{ ...base, cell: 'c', onnx: ONNX }, /give exactly one model/],
    [{ ...base, cell: 'c' }, /--cell needs --experiment/],
    [{ ...base, experiment: 'e', cell: 'c', size: '16' }, /a bgbias model has its own input convention/],
    [{ ...base, onnx: '/nope.onnx', experiment: 'e', dataset: 'd' }, /--onnx: \/nope\.onnx does not exist/],
    [{ ...base, onnx: ONNX }, /a tfjs or ONNX model needs images/],
    [
      { ...base, onnx: ONNX, experiment: 'e', dataset: 'd', channels: 'xyz', size: '16', range: '0-1' },
      /flags: invalid input convention:\n\s+- channels/,
    ],
    [
      { ...base, onnx: ONNX, experiment: 'e', dataset: 'd', repetitions: '0' },
      /audit flags: invalid:\n\s+- repetitions/,
    ],
    [
      { ...base, onnx: ONNX, experiment: 'e', dataset: 'd', repetitions: '2.5' },
      /--repetitions: "2\.5" is not an integer/,
    ],
    [{ ...base, onnx: ONNX, experiment: 'e', dataset: 'd', protocols: 'clean,bogus' }, /protocols\.1/],
  ];
  for (const [opts, message] of cases) await assert.rejects(auditInputFromOptions(opts), message);
});
