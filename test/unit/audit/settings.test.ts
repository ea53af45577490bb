import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IMAGENET_MEAN_RGB, parseAuditSettings } from '../../../lib/audit/settings';
import { PROTOCOLS, protocolSides } from '../../../lib/audit/protocols';

test('defaults: every protocol, both sides, tile holes, ImageNet-mean fill, 1000 resamples at 95%', () => {
  const s = parseAuditSettings(undefined);
  assert.deepEqual(s.protocols, [...PROTOCOLS]);
  assert.equal(s.applyTo, 'both');
  assert.equal(s.hole, 'tile');
  assert.deepEqual(s.flatFill, IMAGENET_MEAN_RGB);
  assert.deepEqual(s.bootstrap, { resamples: 1000, seed: 0, confidence: 0.95, recordIndices: false });
});

test('bad settings name each field', () => {
  assert.throws(
    () =>
      parseAuditSettings(
        { protocols: ['swaped'], repetitions: 0, flatFill: [0, 0, 300], bootstrap: { confidence: 1 } },
        'audit',
      ),
    (e: Error) =>
      /^audit: invalid/.test(e.message) &&
      /protocols\.0: /.test(e.message) &&
      /repetitions: /.test(e.message) &&
      /flatFill\.2: /.test(e.message) &&
      /bootstrap\.confidence: /.test(e.message),
  );
  assert.throws(
    () => parseAuditSettings({ backgroundCrop: { scale: [1, 0.5] } }),
    /backgroundCrop\.scale: expected \[min, max\]/,
  );
});

test('sides: swapped-query searches a clean gallery; applyTo queries moves the ImageNet-9 protocols there', () => {
  assert.deepEqual(protocolSides('swapped-query'), { query: 'swapped', gallery: 'clean', shared: false });
  assert.deepEqual(protocolSides('swapped'), { query: 'swapped', gallery: 'swapped', shared: true });
  assert.deepEqual(protocolSides('mixed-same'), { query: 'mixed-same', gallery: 'mixed-same', shared: true });
  assert.deepEqual(protocolSides('only-fg', 'queries'), { query: 'only-fg', gallery: 'clean', shared: false });
  // applyTo does not touch the paper's protocols.
  assert.deepEqual(protocolSides('swapped', 'queries'), protocolSides('swapped'));
  assert.throws(() => protocolSides('corrupted' as never), /unknown protocol "corrupted"/);
});
