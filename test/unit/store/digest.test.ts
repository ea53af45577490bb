import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, stageDigest } from '../../../lib/store/digest';

const UP_A = 'a'.repeat(64);
const UP_B = '0123456789abcdef'.repeat(4);

test('canonicalJson sorts keys at every depth and has no whitespace', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { y: true, x: null }], c: 'é' } }),
    '{"a":{"c":"é","d":[3,{"x":null,"y":true}]},"b":1}',
  );
  assert.equal(canonicalJson([]), '[]');
  assert.equal(canonicalJson({}), '{}');
  assert.equal(canonicalJson('a"b'), '"a\\"b"');
  assert.equal(canonicalJson(-0), '0');
});

test('canonicalJson rejects what JSON cannot represent, naming the path', () => {
  assert.throws(() => canonicalJson({ a: { b: undefined } }), /\$\.a\.b is undefined/);
  assert.throws(() => canonicalJson({ lr: Number.NaN }), /\$\.lr is NaN/);
  assert.throws(() => canonicalJson([1, Infinity]), /\$\[1\] is Infinity/);
  assert.throws(() => canonicalJson({ f: () => 1 }), /\$\.f is a function/);
  assert.throws(() => canonicalJson({ n: 1n }), /\$\.n is a bigint/);
  assert.throws(() => canonicalJson({ when: new Date(0) }), /\$\.when is a Date, not a plain object/);
  assert.throws(() => canonicalJson({ m: new Map() }), /\$\.m is a Map/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => canonicalJson(cyclic), /\$\.self refers back to itself/);
  // the same object twice (not a cycle) is fine
  const shared = { k: 1 };
  assert.equal(canonicalJson({ a: shared, b: shared }), '{"a":{"k":1},"b":{"k":1}}');
});

test('stageDigest equals a golden value from Python (json.dumps sort_keys, compact separators + hashlib.sha256)', () => {
  const inputs = { loss: 'arcface', lr: 0.0001, batch: [32, 'münchen', null, true], nested: { z: 1, a: { b: -2.5 } } };
  // python3: json.dumps({"stage":..,"version":3,"inputs":..,"upstream":[..]}, sort_keys=True,
  //          separators=(',',':'), ensure_ascii=False) -> sha256 of its UTF-8 bytes
  assert.equal(
    stageDigest('train', 3, inputs, [UP_A, UP_B]),
    '623bcc8216730a9df98044e30d55cbe426ea2c9390797916a169840c9ccb7224',
  );
});

test('stageDigest: key order does not matter; any changed input, version, stage or upstream does', () => {
  const base = stageDigest('train', 1, { a: 1, b: { c: [1, 2], d: 'x' } }, [UP_A]);
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(stageDigest('train', 1, { b: { d: 'x', c: [1, 2] }, a: 1 }, [UP_A]), base);
  const variants = [
    stageDigest('train', 1, { a: 2, b: { c: [1, 2], d: 'x' } }, [UP_A]),
    stageDigest('train', 1, { a: 1, b: { c: [2, 1], d: 'x' } }, [UP_A]), // array order is data
    stageDigest('train', 1, { a: 1, b: { c: [1, 2], d: 'x' }, e: null }, [UP_A]),
    stageDigest('train', 2, { a: 1, b: { c: [1, 2], d: 'x' } }, [UP_A]),
    stageDigest('evaluate', 1, { a: 1, b: { c: [1, 2], d: 'x' } }, [UP_A]),
    stageDigest('train', 1, { a: 1, b: { c: [1, 2], d: 'x' } }, [UP_B]),
    stageDigest('train', 1, { a: 1, b: { c: [1, 2], d: 'x' } }, []),
    stageDigest('train', 1, { a: '1', b: { c: [1, 2], d: 'x' } }, [UP_A]), // type is data
  ];
  assert.equal(new Set([base, ...variants]).size, variants.length + 1);
});

test('stageDigest rejects bad stage names, versions and upstream digests', () => {
  assert.throws(() => stageDigest('', 1, {}, []), /stage must be a name/);
  assert.throws(() => stageDigest('a/b', 1, {}, []), /stage must be a name/);
  assert.throws(
    () => stageDigest('train', 1.5, {}, []),
    /version of stage "train" must be a non-negative integer, got 1.5/,
  );
  assert.throws(() => stageDigest('train', -1, {}, []), /non-negative integer/);
  assert.throws(
    () => stageDigest('train', 1, {}, ['ABC']),
    /upstream\[0\] of stage "train" is not a lowercase hex digest/,
  );
  assert.throws(() => stageDigest('train', 1, { x: undefined }, []), /\$\.inputs\.x is undefined/);
});
