import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { classifyErrors, toActivityFailure } from '../../../activities/errorMapping';
import { IntegrityError, SchemaError, ShapeMismatchError, ValidationError } from '../../../contracts/errors';
import { PretrainedWeightsError } from '../../../lib/ml/models/pretrained';

test('every permanent error becomes a non-retryable ApplicationFailure named by its class, message kept', () => {
  const cases: Error[] = [
    new ValidationError('losses: triplet given twice'),
    new SchemaError('exp/cells/a.json', 'exp/cells/a.json: evaluation.clean.mapAtR must be a number'),
    new ShapeMismatchError('conv1.weight', [64, 3, 7, 7], [64, 3, 5, 5], 'conv1.weight has shape [64,3,5,5]'),
    new IntegrityError('s3://bgbias/exp/train/d/best.bgwt', 'file sha256', 'aa', 'bb'),
    new PretrainedWeightsError('bn.pth: sha256 does not start with 7c5d'),
  ];
  for (const err of cases) {
    const f = toActivityFailure(err);
    assert.ok(f instanceof ApplicationFailure, `${err.name} mapped`);
    assert.equal(f.nonRetryable, true, err.name);
    assert.equal(f.type, err.name);
    assert.equal(f.message, err.message);
    assert.equal(f.cause, err, 'the original error stays as the cause');
  }
  assert.equal(
    new IntegrityError('s3://b/k', 'content hash', 'aa', 'bb').message,
    'corrupt object s3://b/k: content hash mismatch (expected aa, actual bb)',
  );
});

test('network and service errors stay retryable: rethrown unchanged', () => {
  const net = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
  assert.equal(toActivityFailure(net), net);
  const already = ApplicationFailure.retryable('mirror busy', 'BusyError');
  assert.equal(toActivityFailure(already), already);
});

test('classifyErrors wraps each activity: results pass through, permanent errors map, others rethrow', async () => {
  const net = new Error('socket hang up');
  const acts = classifyErrors({
    ok: async (x: number) => x + 1,
    bad: async () => {
      throw new ShapeMismatchError('w', [2], [3], 'w has shape [3], the model needs [2]');
    },
    flaky: async () => {
      throw net;
    },
  });
  assert.equal(await acts.ok(1), 2);
  await assert.rejects(
    acts.bad(),
    (e) => e instanceof ApplicationFailure && e.nonRetryable && e.type === 'ShapeMismatchError',
  );
  await assert.rejects(acts.flaky(), (e) => e === net);
  assert.deepEqual(Object.keys(acts), ['ok', 'bad', 'flaky']);
});
