/**
 * A BN-Inception model's weights as a PyTorch state_dict: Cadene's parameter names for the trunk
 * (conv1_7x7_s2.weight, conv1_7x7_s2_bn.running_mean, ...) and the reference's 1024 -> embedding
 * head (embedder.weight / embedder.bias), in PyTorch's layouts. The exact inverse of what
 * createBnInception does with loaded weights, so exporting a model built from a state_dict gives
 * that state_dict back, value for value. BatchNorm's num_batches_tracked is left out: PyTorch adds
 * it when a state_dict without version metadata is loaded.
 */
import { bnInceptionParameterShapes } from '../models/bnInception';
import type { EmbeddingModel } from '../models/types';
import { tfToTorchLayout } from '../torch/layout';
import type { NamedTensor } from '../../io/safetensors';

export function bnInceptionStateDict(model: EmbeddingModel): Map<string, NamedTensor> {
  const weights = model.namedWeights();
  const embedder = weights.get('embedder.bias');
  if (!embedder || !weights.has('conv1_7x7_s2.weight'))
    throw new Error('export: the model is not a BN-Inception (no conv1_7x7_s2.weight / embedder.bias)');
  const out = new Map<string, NamedTensor>();
  for (const [name, shape] of bnInceptionParameterShapes(embedder.shape[0])) {
    const v = weights.get(name);
    if (!v) throw new Error(`export: the model has no tensor ${name}`);
    out.set(name, { shape, data: tfToTorchLayout(v.dataSync() as Float32Array, shape) });
  }
  return out;
}
