/**
 * Acceptance: the same small network as a tfjs layers model, a tfjs graph model and an ONNX model
 * (fixtures: scripts/fixtures/gen_audit_tiny_net.ts, scripts/fixtures/gen_audit_tiny_onnx.py; the ONNX
 * form takes RGB 0-1 ImageNet-normalised NCHW input and folds the difference into its first
 * convolution), audited on the same images: the same embeddings within float32 rounding and
 * identical metrics under every protocol.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../lib/ml/backend';
import { smoothGradAttentionMap } from '../../../lib/ml/attribution/smoothGrad';
import { parseInputConvention, readInputConvention, sidecarPath } from '../../../lib/audit/inputConvention';
import type { AuditModel } from '../../../lib/audit/models/auditModel';
import { loadTfjsModel } from '../../../lib/audit/models/tfjsModel';
import { loadOnnxModel, ONNX_NO_ATTRIBUTION } from '../../../lib/audit/models/onnxModel';
import { runProtocols, type AuditResult } from '../../../lib/audit/runProtocols';
import { parseAuditSettings } from '../../../lib/audit/settings';
import { Rng } from '../../../lib/util/rng';
import { arraySource, knownBoxItems, randomBackgrounds } from '../../helpers/auditImages';

const DIR = join(__dirname, '../../fixtures/audit/tiny_net');
const FILES = {
  layers: join(DIR, 'layers/model.json'),
  graph: join(DIR, 'graph/model.json'),
  onnx: join(DIR, 'onnx/tiny_net.onnx'),
};
const models: Record<keyof typeof FILES, AuditModel> = {} as never;

before(async () => {
  await initBackend();
  models.layers = await loadTfjsModel(FILES.layers, await readInputConvention(sidecarPath(FILES.layers)));
  models.graph = await loadTfjsModel(FILES.graph, await readInputConvention(sidecarPath(FILES.graph)));
  models.onnx = await loadOnnxModel(FILES.onnx, await readInputConvention(sidecarPath(FILES.onnx)));
});
after(async () => {
  for (const m of Object.values(models)) await m.dispose();
});

test('the three forms load with their kinds, conventions and attribution support', () => {
  assert.equal(models.layers.kind, 'tfjs-layers');
  assert.equal(models.graph.kind, 'tfjs-graph');
  assert.equal(models.onnx.kind, 'onnx');
  for (const m of Object.values(models)) assert.equal(m.embeddingSize, 6);
  assert.equal(models.onnx.convention.layout, 'nchw');
  assert.equal(models.onnx.convention.channels, 'rgb');
  assert.equal(models.layers.convention.channels, 'bgr');
  assert.deepEqual(models.onnx.attribution, { available: false, reason: ONNX_NO_ATTRIBUTION });
  assert.equal(models.layers.attribution.available, true);
  assert.equal(models.graph.attribution.available, true);
});

test('audited on the same images: same embeddings within float32 rounding, identical metrics', async () => {
  const items = knownBoxItems(6, 4, 'model-forms');
  const settings = parseAuditSettings({
    repetitions: 2,
    seed: 3,
    bootstrap: { resamples: 100 },
    keepEmbeddings: true,
    batchSize: 7,
  });
  const results: Record<string, AuditResult> = {};
  for (const [name, model] of Object.entries(models)) {
    results[name] = await runProtocols(arraySource(items), model, randomBackgrounds(), settings);
  }
  const ref = results.layers;
  let maxDiff = 0;
  for (const name of ['graph', 'onnx']) {
    const other = results[name];
    ref.protocols.forEach((p, i) => {
      const o = other.protocols[i];
      assert.equal(o.protocol, p.protocol);
      p.repetitions.forEach((rep, r) => {
        for (const side of ['query', 'gallery'] as const) {
          const a = rep.embeddings![side];
          const b = o.repetitions[r].embeddings![side];
          for (let k = 0; k < a.length; k++) maxDiff = Math.max(maxDiff, Math.abs(a[k] - b[k]));
        }
        assert.deepEqual(o.repetitions[r].metrics, rep.metrics, `${name} ${p.protocol} rep ${r}`);
        assert.deepEqual(o.repetitions[r].queryDraws, rep.queryDraws);
      });
      assert.deepEqual(o.interval, p.interval, `${name} ${p.protocol} intervals`);
    });
    assert.deepEqual(other.bgGap, ref.bgGap);
  }
  assert.ok(maxDiff < 2e-6, `largest embedding difference ${maxDiff}`);
  // Not a degenerate case: the metrics move between protocols and most stay off 0 and 1.
  const maps = ref.protocols.map((p) => p.summary.mapAtR.mean);
  assert.ok(Math.max(...maps) - Math.min(...maps) > 0.1, `MAP@R per protocol ${maps}`);
  assert.ok(maps.filter((m) => m > 0.05 && m < 0.999).length >= 6, `MAP@R per protocol ${maps}`);
});

test('tfjs forms support gradient attribution and give the same map; ONNX says why not', () => {
  const conv = models.layers.convention;
  const rng = Rng.fromSeed('image');
  const pixels = Float32Array.from({ length: conv.size * conv.size * 3 }, () => rng.uniformIn(-100, 100));
  const before = tf.memory().numTensors;
  const maps = (['layers', 'graph'] as const).map((name) => {
    const m = models[name].attribution;
    assert.ok(m.available);
    return tf.tidy(() => {
      const image = tf.tensor3d(pixels, [conv.size, conv.size, 3]);
      const reference = m.model.embed(tf.zeros([1, conv.size, conv.size, 3])).reshape([-1]) as tf.Tensor1D;
      const map = smoothGradAttentionMap(m.model, image, reference, 'cosine', Rng.fromSeed('noise'), { copies: 4 });
      return map.dataSync();
    });
  });
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.ok(maps[0].some((v) => v > 0) && maps[0].every((v) => v >= 0 && v <= 1));
  let diff = 0;
  maps[0].forEach((v, i) => (diff = Math.max(diff, Math.abs(v - maps[1][i]))));
  assert.ok(diff < 1e-4, `layers vs graph attention maps differ by ${diff}`);
});

test('a convention that does not fit the model is named (size, layout, input name)', async () => {
  const base = await readInputConvention(sidecarPath(FILES.layers));
  await assert.rejects(
    loadTfjsModel(FILES.layers, { ...base, size: 32, resizeShort: 32 }),
    /input '.*' has shape \[N, 16, 16, 3\], but the input convention \(size 32, layout nhwc\) gives \[N, 32, 32, 3\]/,
  );
  const onnxConv = await readInputConvention(sidecarPath(FILES.onnx));
  await assert.rejects(
    loadOnnxModel(FILES.onnx, { ...onnxConv, layout: 'nhwc' }),
    /input 'image' has shape \[N, 3, 16, 16\], but the input convention \(size 16, layout nhwc\) gives \[N, 16, 16, 3\]/,
  );
  await assert.rejects(
    loadOnnxModel(FILES.onnx, { ...onnxConv, inputName: 'pixels' }),
    /no input 'pixels' \(inputName\); the model has image/,
  );
  await assert.rejects(
    loadTfjsModel(
      join(DIR, 'layers/model.input.json'),
      parseInputConvention({ size: 16, channels: 'rgb', range: '0-1' }, 't'),
    ),
    /not a tfjs model.json/,
  );
});

test('a channels-first tfjs model gets NCHW input (layout nchw)', async () => {
  // Input [3, 4, 4] -> Permute to [4, 4, 3] -> Flatten: the embedding is the image in HWC order.
  const dir = mkdtempSync(join(tmpdir(), 'nchw-'));
  const net = tf.sequential({
    layers: [tf.layers.permute({ dims: [2, 3, 1], inputShape: [3, 4, 4] }), tf.layers.flatten()],
  });
  await net.save(`file://${dir}`);
  net.dispose();
  const conv = parseInputConvention(
    { size: 4, resizeShort: 4, channels: 'rgb', range: '0-255', layout: 'nchw', l2Normalize: false },
    't',
  );
  const model = await loadTfjsModel(join(dir, 'model.json'), conv);
  const images = Float32Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => i);
  assert.deepEqual(await model.embed(images, 2), images);
  await model.dispose();
});
