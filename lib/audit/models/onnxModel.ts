/**
 * An ONNX model under audit, run with onnxruntime-node on the CPU (as lib/data/masks/u2netSession.ts
 * runs u2net). The input convention's layout says whether the model takes NHWC or NCHW; a model with a
 * fixed batch dimension is run in chunks of that size. onnxruntime computes no gradients, so
 * attribution is not available for these models (the result records why).
 */
import * as ort from 'onnxruntime-node';
import { toLayout, type InputConvention } from '../inputConvention';
import { checkBatch, l2NormalizeRows, type AuditModel } from './auditModel';

export const ONNX_NO_ATTRIBUTION =
  'attribution is not available for ONNX models: onnxruntime-node runs them forward only (no gradients), ' +
  'so gradient attention maps and attention scores cannot be computed';

export interface OnnxOptions {
  /** onnxruntime intra-op threads (default 1, like the u2net session). */
  intraOpThreads?: number;
}

export async function loadOnnxModel(path: string, conv: InputConvention, opts: OnnxOptions = {}): Promise<AuditModel> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, {
      executionProviders: ['cpu'],
      intraOpNumThreads: opts.intraOpThreads ?? 1,
    });
  } catch (err) {
    throw new Error(`cannot load the ONNX model ${path}: ${(err as Error).message}`, { cause: err });
  }
  const fail = async (message: string): Promise<never> => {
    await session.release();
    throw new Error(`${path}: ${message}`);
  };
  const inputName = conv.inputName ?? session.inputNames[0];
  if (!session.inputNames.includes(inputName)) {
    await fail(`no input '${inputName}' (inputName); the model has ${session.inputNames.join(', ')}`);
  }
  const outputName = conv.outputName ?? session.outputNames[0];
  if (!session.outputNames.includes(outputName)) {
    await fail(`no output '${outputName}' (outputName); the model has ${session.outputNames.join(', ')}`);
  }
  const meta = session.inputMetadata.find((m) => m.name === inputName);
  const shape = meta && meta.isTensor ? meta.shape : undefined;
  const want = conv.layout === 'nhwc' ? [conv.size, conv.size, 3] : [3, conv.size, conv.size];
  if (shape) {
    const fixed = (d: number | string) => typeof d === 'number' && d > 0;
    const ok = shape.length === 4 && shape.slice(1).every((d, i) => !fixed(d) || d === want[i]);
    if (!ok) {
      await fail(
        `input '${inputName}' has shape [${shape.join(', ')}], but the input convention (size ${conv.size}, layout ` +
          `${conv.layout}) gives [N, ${want.join(', ')}]: fix size or layout`,
      );
    }
  }
  const fixedBatch = shape && typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : undefined;

  const run = async (images: Float32Array, n: number): Promise<Float32Array> => {
    const px = conv.size * conv.size * 3;
    const step = fixedBatch ?? n;
    const parts: Float32Array[] = [];
    for (let s = 0; s < n; s += step) {
      const m = Math.min(step, n - s);
      let chunk = images.subarray(s * px, (s + m) * px);
      if (m < step) {
        // A fixed batch larger than what is left: pad with zeros, keep the first m rows.
        const padded = new Float32Array(step * px);
        padded.set(chunk);
        chunk = padded;
      }
      const input = new ort.Tensor('float32', toLayout(chunk, step, conv.size, conv.layout), [step, ...want]);
      const result = await session.run({ [inputName]: input });
      const out = result[outputName];
      try {
        if (out.type !== 'float32') throw new Error(`${path}: output '${outputName}' is ${out.type}, expected float32`);
        const data = out.data as Float32Array;
        parts.push(data.slice(0, (data.length / step) * m));
      } finally {
        input.dispose();
        for (const v of Object.values(result)) v.dispose();
      }
    }
    const total = parts.reduce((a, p) => a + p.length, 0);
    const all = new Float32Array(total);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    return all;
  };

  let embeddingSize: number;
  try {
    const probe = await run(new Float32Array(conv.size * conv.size * 3), 1);
    embeddingSize = probe.length;
  } catch (err) {
    return fail(`a ${conv.size}x${conv.size} input (layout ${conv.layout}) does not run: ${(err as Error).message}`);
  }

  return {
    kind: 'onnx',
    source: path,
    convention: conv,
    embeddingSize,
    attribution: { available: false, reason: ONNX_NO_ATTRIBUTION },
    async embed(images: Float32Array, n: number): Promise<Float32Array> {
      checkBatch(images, n, conv, path);
      const raw = await run(images, n);
      if (raw.length !== n * embeddingSize) {
        throw new Error(`${path}: output '${outputName}' gave ${raw.length} values for ${n} images x ${embeddingSize}`);
      }
      return conv.l2Normalize ? l2NormalizeRows(raw, embeddingSize) : raw;
    },
    async dispose() {
      await session.release();
    },
  };
}
