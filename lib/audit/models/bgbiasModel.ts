/**
 * A model trained by bgbias as an audit model. The caller loads it (the workflow: by experiment and
 * grid cell, activities/train.ts loadTrainedCell) and hands over the EmbeddingModel with the transform
 * it was trained under; its input convention is the paper's (BGR, 0..255 minus the mean, NHWC), and
 * it normalises its own output. Attribution runs on the model itself.
 */
import type { EmbeddingModel } from '../../ml/models/types';
import type { TransformConfig } from '../../ml/transforms/pipeline';
import { paperConvention } from '../inputConvention';
import { embedTfjsBatch, type AuditModel } from './auditModel';

export function bgbiasAuditModel(
  model: EmbeddingModel,
  transform: Pick<TransformConfig, 'crop' | 'resizeShort' | 'mean'>,
  source: string,
  release: () => void = () => model.dispose(),
): AuditModel {
  if (model.inputSize !== transform.crop) {
    throw new Error(
      `${source}: the model takes ${model.inputSize}x${model.inputSize} inputs but transform.crop is ${transform.crop}`,
    );
  }
  const conv = paperConvention(transform);
  return {
    kind: 'bgbias',
    source,
    convention: conv,
    embeddingSize: model.embeddingSize,
    attribution: { available: true, model },
    embed: (images: Float32Array, n: number) => embedTfjsBatch((x) => model.embed(x), images, n, conv, source),
    async dispose() {
      release();
    },
  };
}
