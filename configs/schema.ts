import { z } from 'zod';
import { LossParamsSchema } from './lossParams';

/**
 * The one schema of an experiment. Presets (configs/presets.ts) fill every field; users override any
 * field by path (`train.maxEpochs=5`) or through the workflow input JSON. Strict objects: a misspelt
 * key is an error that names it, not a silently ignored setting.
 */
export const DATASET_NAMES = ['cars196', 'cub200', 'sop', 'synthetic'] as const;
export const LOSS_NAMES = ['contrastive', 'triplet', 'multi_similarity', 'arcface', 'normalized_softmax'] as const;
export const MODES = ['base', 'bgaugment'] as const;

export const DatasetName = z.enum(DATASET_NAMES);
export const LossName = z.enum(LOSS_NAMES);
export const Mode = z.enum(MODES);
export type DatasetName = z.infer<typeof DatasetName>;
export type LossNameT = z.infer<typeof LossName>;
export type Mode = z.infer<typeof Mode>;

const positiveInt = z.int().positive();
const unitInterval = z.number().min(0).max(1);
const range = z
  .tuple([z.number().positive(), z.number().positive()])
  .refine(([a, b]) => a <= b, 'lower bound above upper bound');

export const SyntheticSchema = z.strictObject({
  seed: z.union([z.int(), z.string()]),
  /** Prepared short side of the generated images (then train-transformed to transform.crop). */
  size: positiveInt,
  classes: z.strictObject({ train: positiveInt, val: positiveInt, test: positiveInt }),
  imagesPerClass: z.int().min(2),
});

export const DataSchema = z.strictObject({
  /** Folder with a local copy of the paper repository's data (unsplash_backgrounds/, gt_masks/); when
   * set, files are read from it (and still verified) instead of downloaded. */
  localDataDir: z.string().min(1).optional(),
  /** Prefix of the paper repository's raw files (backgrounds and hand-labelled masks). */
  paperRepoUrl: z.url(),
  /** Extra addresses per archive file name, tried in order before the original ones. */
  mirrors: z.record(z.string(), z.array(z.url())),
  /** Short side of the prepared images (PROTOCOL.md section 4: 256). */
  preparedShortSide: positiveInt,
  /** What an unreadable image does: fail the stage naming it, or skip it and count it. */
  unreadableImages: z.enum(['fail', 'skip']),
  masks: z.strictObject({
    u2netUrl: z.url(),
    u2netMd5: z.string().regex(/^[0-9a-f]{32}$/),
  }),
  synthetic: SyntheticSchema,
});

export const ModelSchema = z.strictObject({
  kind: z.enum(['bn-inception', 'small-cnn']),
  embeddingSize: positiveInt,
  /** small-cnn only: channels of the first block. */
  width: positiveInt,
  /** bn-inception only: ImageNet weights (Cadene pretrainedmodels 0.7.4). */
  pretrained: z.boolean(),
  pretrainedUrl: z.url(),
  pretrainedSha256Prefix: z.string().regex(/^[0-9a-f]{6,64}$/),
});

export const TransformSchema = z.strictObject({
  resizeShort: positiveInt,
  crop: positiveInt,
  scale: range,
  ratio: range,
  /** BGR mean subtracted from 0..255 pixels. */
  mean: z.tuple([z.number(), z.number(), z.number()]),
});

export const OptimizerSchema = z.strictObject({
  /** Learning rate of the model group (trunk + embedder). The loss group uses lossParams.*.lrLoss. */
  lr: z.number().positive(),
  weightDecay: z.number().min(0),
  momentum: z.number().min(0).max(1),
  alpha: z.number().positive().max(1),
  eps: z.number().positive(),
});

export const SamplerSchema = z.strictObject({
  batchSize: positiveInt,
  iterationsPerEpoch: positiveInt,
});

export const TrainingSchema = z.strictObject({
  maxEpochs: positiveInt,
  /** Early stopping: epochs without improvement of the monitored val MAP@R. */
  patience: positiveInt,
  /** Validate once before the first epoch (the reference does). */
  validateBeforeTraining: z.boolean(),
  /** Seconds between heartbeats of a running training (TEMPORAL.md: 10-30 s). */
  heartbeatSeconds: z.number().positive(),
});

export const EvaluationSchema = z.strictObject({
  /** Swapped-background test repetitions, each with freshly seeded backgrounds (PROTOCOL.md 5). */
  corruptedRepetitions: positiveInt,
});

export const AttributionSchema = z.strictObject({
  copies: positiveInt,
  noiseLevel: z.number().min(0),
  /** Test images per model for attention scores; omit for all (the paper). */
  maxImages: positiveInt.optional(),
  /** Images in the qualitative figure (paper: 10). */
  figureImages: z.int().min(0),
  /** Which loss the figure shows (paper: CUB200 normalized softmax). */
  figureLoss: LossName,
  figureDataset: DatasetName,
});

export const ExperimentSchema = z
  .strictObject({
    /** Names the run; keys in the store start with it. */
    experiment: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
        'letters, digits, . _ - (at most 64), starting with a letter or digit',
      ),
    preset: z.enum(['paper', 'smoke']),
    seeds: z.array(z.int().min(0)).min(1),
    datasets: z.array(DatasetName).min(1),
    losses: z.array(LossName).min(1),
    modes: z.array(Mode).min(1),
    data: DataSchema,
    model: ModelSchema,
    transform: TransformSchema,
    optimizer: OptimizerSchema,
    sampler: SamplerSchema,
    training: TrainingSchema,
    evaluation: EvaluationSchema,
    attribution: AttributionSchema,
    /** Loss hyperparameters per dataset (PROTOCOL.md section 8 for the paper's three). */
    lossParams: z.partialRecord(DatasetName, LossParamsSchema),
    backend: z.enum(['auto', 'tensorflow', 'cpu']),
    storage: z.strictObject({ bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, 'an S3 bucket name') }),
    /** Grid cells trained at the same time (each takes one GPU-worker slot). */
    concurrency: z.strictObject({ cells: positiveInt }),
  })
  .superRefine((cfg, ctx) => {
    for (const [i, d] of cfg.datasets.entries()) {
      if (!cfg.lossParams[d])
        ctx.addIssue({
          code: 'custom',
          path: ['lossParams', d],
          message: `no loss hyperparameters for dataset ${d} (datasets.${i})`,
        });
    }
    if (cfg.transform.crop > cfg.transform.resizeShort) {
      ctx.addIssue({
        code: 'custom',
        path: ['transform', 'crop'],
        message: `crop ${cfg.transform.crop} exceeds resizeShort ${cfg.transform.resizeShort}`,
      });
    }
    if (!cfg.datasets.includes(cfg.attribution.figureDataset)) {
      ctx.addIssue({
        code: 'custom',
        path: ['attribution', 'figureDataset'],
        message: `${cfg.attribution.figureDataset} is not among datasets [${cfg.datasets.join(', ')}]`,
      });
    }
  });

export type ExperimentConfig = z.infer<typeof ExperimentSchema>;
export type GridCell = { dataset: DatasetName; loss: LossNameT; mode: Mode; seed: number };
