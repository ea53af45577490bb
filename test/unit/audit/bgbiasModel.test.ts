import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../lib/ml/backend';
import { createSmallCnn } from '../../../lib/ml/models/smallCnn';
import { batchTensor, evalBatch } from '../../../lib/ml/train/batches';
import type { TransformConfig } from '../../../lib/ml/transforms/pipeline';
import { bgbiasAuditModel } from '../../../lib/audit/models/bgbiasModel';
import { runProtocols } from '../../../lib/audit/runProtocols';
import { parseAuditSettings } from '../../../lib/audit/settings';
import { arraySource, knownBoxItems, randomBackgrounds } from '../../helpers/auditImages';

before(async () => {
  await initBackend();
});

const CFG: TransformConfig = {
  resizeShort: 20,
  crop: 16,
  scale: [0.16, 1],
  ratio: [0.75, 1.33],
  mean: [104, 117, 128],
};

test("a bgbias model audits under the paper's convention: clean embeddings are the evaluate stage's", async () => {
  const net = createSmallCnn({ seed: 'audit', inputSize: 16, width: 2, embeddingSize: 8 });
  const model = bgbiasAuditModel(net, CFG, 'smoke/cells/x');
  assert.equal(model.convention.channels, 'bgr');
  assert.equal(model.convention.l2Normalize, false);
  assert.ok(model.attribution.available);
  const items = knownBoxItems(3, 3);
  const s = parseAuditSettings({ protocols: ['clean'], keepEmbeddings: true, bootstrap: { resamples: 10 } });
  const r = await runProtocols(arraySource(items), model, randomBackgrounds(), s);
  const ref = tf.tidy(() => net.embed(batchTensor(evalBatch(items, CFG))).dataSync() as Float32Array);
  assert.deepEqual(r.protocols[0].repetitions[0].embeddings!.query, ref);
  await model.dispose();
  const wrongSize = createSmallCnn({ seed: 1, inputSize: 32, width: 2, embeddingSize: 4 });
  assert.throws(
    () => bgbiasAuditModel(wrongSize, CFG, 'm'),
    /m: the model takes 32x32 inputs but transform.crop is 16/,
  );
  wrongSize.dispose();
});
