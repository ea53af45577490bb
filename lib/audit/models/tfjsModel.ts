/**
 * A TensorFlow.js model under audit: `model.json` + weight files, as tensorflowjs_converter writes
 * them (graph model, from a SavedModel) or as tf.LayersModel.save writes them (layers model), loaded
 * from disk with tfjs-node's file system handler. Gradients flow through either, so attribution is
 * available: the EmbeddingModel it exposes takes NHWC batches in the model's channel space and applies
 * the layout and the L2 normalisation inside the differentiated function.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import type { EmbeddingModel } from '../../ml/models/types';
import { l2Normalize } from '../../ml/ops/l2Normalize';
import type { InputConvention } from '../inputConvention';
import { embedTfjsBatch, type AuditModel } from './auditModel';

type Format = 'graph-model' | 'layers-model';

interface FileSystemIo {
  io: { fileSystem(path: string): tf.io.IOHandler };
}

/** tfjs-node's handler (registers nothing new: the backend is chosen by lib/ml/backend.ts). */
function fileSystemHandler(path: string): tf.io.IOHandler {
  let node: FileSystemIo & { engine(): unknown };
  try {
    // Optional native package, loaded only when a tfjs model is read from disk.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    node = require('@tensorflow/tfjs-node') as FileSystemIo & { engine(): unknown };
  } catch (err) {
    throw new Error(
      `loading the tfjs model ${path} needs @tensorflow/tfjs-node (bash scripts/setup-tensorflow.sh): ${(err as Error).message.split('\n')[0]}`,
      { cause: err },
    );
  }
  if (node.engine() !== tf.engine()) {
    throw new Error(`loading ${path}: @tensorflow/tfjs-node uses another copy of tfjs-core than @tensorflow/tfjs`);
  }
  return node.io.fileSystem(path);
}

async function readFormat(path: string): Promise<Format> {
  let json: { format?: unknown; modelTopology?: Record<string, unknown> };
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read a tfjs model.json (${(err as Error).message})`, { cause: err });
  }
  if (json.format === 'graph-model' || json.format === 'layers-model') return json.format;
  const topology = json.modelTopology;
  if (topology && Array.isArray(topology.node)) return 'graph-model';
  if (topology && ('model_config' in topology || 'class_name' in topology)) return 'layers-model';
  throw new Error(
    `${path}: not a tfjs model.json: "format" is ${JSON.stringify(json.format)}, expected "graph-model" or "layers-model"`,
  );
}

/** The expected input shape for the convention, batch free. */
function expectedShape(conv: InputConvention): number[] {
  return conv.layout === 'nhwc' ? [conv.size, conv.size, 3] : [3, conv.size, conv.size];
}

function checkInputShape(
  shape: readonly (number | null)[] | undefined,
  name: string,
  conv: InputConvention,
  path: string,
) {
  if (!shape) return; // unknown rank: the dry run below reports a mismatch
  const want = expectedShape(conv);
  const got = shape.slice(1).map((d) => (d === null || d < 0 ? null : d));
  const ok = shape.length === 4 && got.every((d, i) => d === null || d === want[i]);
  if (!ok) {
    throw new Error(
      `${path}: input '${name}' has shape [${shape.map((d) => (d === null || d < 0 ? 'N' : d)).join(', ')}], but the input ` +
        `convention (size ${conv.size}, layout ${conv.layout}) gives [N, ${want.join(', ')}]: fix size or layout`,
    );
  }
}

export async function loadTfjsModel(path: string, conv: InputConvention): Promise<AuditModel> {
  const format = await readFormat(path);
  const handler = fileSystemHandler(path);
  let forward: (x: tf.Tensor4D) => tf.Tensor;
  let release: () => void;
  if (format === 'graph-model') {
    const model = await tf.loadGraphModel(handler).catch((err: Error) => {
      throw new Error(`${path}: cannot load the graph model: ${err.message}`);
    });
    const inputName = conv.inputName ?? model.inputs[0]?.name;
    const input = model.inputs.find((i) => i.name === inputName);
    if (!input) {
      throw new Error(
        `${path}: no input '${inputName}' (inputName); the model has ${model.inputs.map((i) => i.name).join(', ')}`,
      );
    }
    // outputName may also name an inner node (graph execution stops there).
    const outputName = conv.outputName ?? model.outputs[0]?.name;
    if (!outputName) throw new Error(`${path}: the graph model declares no outputs; give outputName`);
    checkInputShape(input.shape, input.name, conv, path);
    forward = (x) => model.execute({ [input.name]: x }, outputName) as tf.Tensor;
    release = () => model.dispose();
  } else {
    const model = await tf.loadLayersModel(handler).catch((err: Error) => {
      throw new Error(`${path}: cannot load the layers model: ${err.message}`);
    });
    if (model.inputs.length !== 1)
      throw new Error(`${path}: the layers model has ${model.inputs.length} inputs, expected 1`);
    checkInputShape(model.inputs[0].shape, model.inputs[0].name, conv, path);
    forward = (x) => model.apply(x, { training: false }) as tf.Tensor;
    release = () => model.dispose();
  }

  const embedTensor = (images: tf.Tensor4D): tf.Tensor2D =>
    tf.tidy(() => {
      const x = conv.layout === 'nchw' ? images.transpose([0, 3, 1, 2]) : images;
      const out = forward(x as tf.Tensor4D);
      const flat = out.reshape([images.shape[0], -1]) as tf.Tensor2D;
      if (!conv.l2Normalize) return flat;
      return l2Normalize(flat); // finite gradient at a zero row (attribution through the model)
    });

  let embeddingSize: number;
  try {
    embeddingSize = tf.tidy(() => embedTensor(tf.zeros([1, conv.size, conv.size, 3]) as tf.Tensor4D).shape[1]);
  } catch (err) {
    release();
    throw new Error(
      `${path}: a ${conv.size}x${conv.size} input (layout ${conv.layout}) does not run through the model: ${(err as Error).message}`,
      { cause: err },
    );
  }

  const gradientModel: EmbeddingModel = {
    name: `tfjs:${path}`,
    inputSize: conv.size,
    embeddingSize,
    embed: embedTensor,
    // Not trained here: no variables to hand out.
    trainableVariables: () => [],
    namedWeights: () => new Map(),
    dispose: release,
  };

  return {
    kind: format === 'graph-model' ? 'tfjs-graph' : 'tfjs-layers',
    source: path,
    convention: conv,
    embeddingSize,
    attribution: { available: true, model: gradientModel },
    embed: (images: Float32Array, n: number) => embedTfjsBatch(embedTensor, images, n, conv, path),
    async dispose() {
      release();
    },
  };
}
