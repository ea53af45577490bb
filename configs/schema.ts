import { DEFAULT_ATTRIBUTION_CHUNK_IMAGES } from '../contracts/attributionChunks';
import { z } from 'zod';
import { DATASET_NAME_PATTERN, DATASET_NAMES, isBuiltinDataset, LOSS_NAMES, MODES } from '../contracts/grid';
import { LossParamsSchema } from '../contracts/lossParams';
import { SAMPLER_M } from './paper/hyperparameters';

/**
 * The one schema of an experiment. Presets (configs/presets.ts) fill every field; users override any
 * field by path (`train.maxEpochs=5`) or through the workflow input JSON. Strict objects: a misspelt
 * key is an error that names it, not a silently ignored setting.
 */
const LossName = z.enum(LOSS_NAMES);
const Mode = z.enum(MODES);

/** A built-in dataset or a registered folder's name; ExperimentSchema checks which names are registered. */
export const DatasetNameSchema = z
  .string()
  .regex(DATASET_NAME_PATTERN, 'a dataset name: lower-case letters, digits, _ and - (at most 40), no dots');

const positiveInt = z.int().positive();

/** A list whose entries each name one grid axis value: a repeat would train the same cells twice. */
function distinct<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .min(1)
    .refine((xs) => new Set(xs).size === xs.length, {
      error: (iss) => {
        const xs = iss.input as unknown[];
        const twice = [...new Set(xs.filter((x, i) => xs.indexOf(x) !== i))];
        return `each value at most once (given twice: ${twice.map((x) => JSON.stringify(x)).join(', ')})`;
      },
    });
}
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

/**
 * A folder of the user's images as a dataset (lib/data/datasets/folderIndex.ts): one sub-folder per
 * class, or train/ (+ val/) + test/ folders of class folders. A bare string is the path. Paths are
 * absolute: the CPU worker that imports the folder into the store reads them, not the shell that
 * started the run.
 */
const absolutePath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/'), 'an absolute path (a CPU worker reads it, not the shell that started the run)');
export const FolderDatasetSchema = z.union([
  absolutePath,
  z.strictObject({
    path: absolutePath,
    /** A parallel folder of masks: the same relative paths with .png, 8-bit grey; without it, u2net. */
    masks: absolutePath.optional(),
    /** 'auto' detects train/(val/)test/ folders; 'folders' requires them; 'seeded' splits the classes. */
    split: z.enum(['auto', 'folders', 'seeded']).default('auto'),
    /** Seed of the class split; omitted: the first of `seeds`. */
    splitSeed: z.union([z.int(), z.string()]).optional(),
  }),
]);

export const DataSchema = z.strictObject({
  /** Folder with a local copy of the paper repository's data (unsplash_backgrounds/, gt_masks/); when
   * set, files are read from it (and still verified) instead of downloaded. Without it, a worker's
   * BGBIAS_PAPER_DATA_DIR names the copy, else the files are downloaded (activities/paperData.ts). */
  localDataDir: z.string().min(1).optional(),
  /** Prefix of the paper repository's raw files (backgrounds and hand-labelled masks). */
  paperRepoUrl: z.url(),
  /** Extra addresses per archive file name, tried in order before the original ones. */
  mirrors: z.record(
    z.string(),
    z.array(z.url({ protocol: /^https?$/, error: 'a mirror is an http:// or https:// address' })),
  ),
  /** Short side of the prepared images (docs/protocol.md section 4: 256). */
  preparedShortSide: positiveInt,
  /**
   * How prepared images are stored in the shards: JPEG q95 with 4:2:0 or 4:4:4 chroma, or lossless
   * PNG. The reference decodes the original at every access; docs/prepared-images.md measures how far
   * each format's tensors are from its tensors (PNG: identical) and what each costs in space.
   */
  preparedFormat: z.enum(['jpeg-420', 'jpeg-444', 'png']),
  /** What an unreadable image does: fail the stage naming it, or skip it and count it. */
  unreadableImages: z.enum(['fail', 'skip']),
  masks: z.strictObject({
    u2netUrl: z.url(),
    u2netMd5: z.string().regex(/^[0-9a-f]{32}$/),
    /**
     * Images per mask part: one activity any gpu-queue worker can take, stored as one part
     * (results do not depend on it; the parts' store address does). SOP's 120,053 images are 241 parts.
     */
    chunkImages: positiveInt.default(500),
  }),
  synthetic: SyntheticSchema,
  /** Folders of the user's images registered as datasets by name: `datasets=myshop` with `data.folders.myshop=/path`. */
  folders: z.record(z.string(), FolderDatasetSchema).default({}),
});

/** A small CNN trained from scratch (the smoke preset: minutes on a CPU). */
export const SmallCnnModelSchema = z.strictObject({
  kind: z.literal('small-cnn'),
  embeddingSize: positiveInt,
  /** Channels of the first block (later blocks double it). */
  width: positiveInt,
  /**
   * 'blurred' puts a fixed binomial blur before each stride-2 conv, which removes the strides' dot
   * grid from the input gradients (attention maps; docs/attention-grid.md); 'strided' is the plain
   * stride-2 conv. Experiments stored before this setting existed were 'strided'.
   */
  downsampling: z.enum(['strided', 'blurred']).default('strided'),
});

/** The paper's BN-Inception with an embedding layer (docs/protocol.md section 6). */
export const BnInceptionModelSchema = z.strictObject({
  kind: z.literal('bn-inception'),
  embeddingSize: positiveInt,
  /** Start from the ImageNet weights (Cadene pretrainedmodels 0.7.4), as the paper does. */
  pretrained: z.boolean(),
  /** Where the ImageNet weights are downloaded from (data.mirrors for the file name come first). */
  pretrainedUrl: z.url(),
  /** The start of the weights file's sha256: a wrong or damaged download is refused. */
  pretrainedSha256Prefix: z.string().regex(/^[0-9a-f]{6,64}$/),
});

/** Each kind carries only the settings that apply to it, so a misplaced knob is an error. */
export const ModelSchema = z.discriminatedUnion('kind', [SmallCnnModelSchema, BnInceptionModelSchema]);

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
  /**
   * Basis of the GPU activities' heartbeat timeout (workflows/activityProxies.ts): an attempt that
   * has not heartbeated for max(15, 3 x heartbeatSeconds) seconds counts as lost and is retried,
   * resuming from its newest checkpoint. It does not set how often they heartbeat: they do after
   * every training step, embedded batch and attributed image, and the SDK throttles what reaches
   * the server. TEMPORAL.md: 10-30 s.
   */
  heartbeatSeconds: z.number().positive(),
});

export const EvaluationSchema = z
  .strictObject({
    /** Swapped-background test repetitions, each with freshly seeded backgrounds (docs/protocol.md section 5). */
    swappedRepetitions: positiveInt,
    /**
     * Swapped val backgrounds (the BGAugment models' selection metric): 'per-epoch' draws fresh ones
     * at every validation, as the reference does; 'fixed' reuses the same draws every epoch (lower
     * variance). lib/ml/train/validate.ts.
     */
    valBackgrounds: z.enum(['per-epoch', 'fixed']).default('per-epoch'),
    /**
     * Swapped test backgrounds across the models of one seed (docs/protocol.md section 5):
     * 'paired' every model gets the same draws (a paired comparison of base and BGAugment);
     * 'per-model' each model its own seeded draws; 'unseeded' like the reference, a fresh seed from
     * the OS (drawn when the experiment's configuration is resolved and recorded as
     * testBackgroundSeed, so a rerun with that seed reproduces the numbers), then per model.
     */
    testBackgrounds: z.enum(['paired', 'per-model', 'unseeded']).default('paired'),
    /** 'unseeded' only: the OS seed the draws came from (set it to reproduce an earlier run). */
    testBackgroundSeed: z
      .string()
      .regex(/^[0-9a-f]{8,64}$/, 'hex digits (8 to 64)')
      .optional(),
  })
  .superRefine((e, ctx) => {
    if (e.testBackgroundSeed !== undefined && e.testBackgrounds !== 'unseeded') {
      ctx.addIssue({
        code: 'custom',
        path: ['testBackgroundSeed'],
        message: `applies to testBackgrounds 'unseeded' only, not '${e.testBackgrounds}'`,
      });
    }
  });

export const AttributionSchema = z.strictObject({
  copies: positiveInt,
  noiseLevel: z.number().min(0),
  /** Test images per model for attention scores; omit for all (the paper). */
  maxImages: positiveInt.optional(),
  /** Images in the qualitative figure (paper: 10). */
  figureImages: z.int().min(0),
  /** Images per attribution chunk (one activity any GPU worker can take; results do not depend on it). */
  chunkImages: positiveInt.default(DEFAULT_ATTRIBUTION_CHUNK_IMAGES),
  /** Which loss the figure shows (paper: CUB200 normalized softmax). */
  figureLoss: LossName,
  figureDataset: DatasetNameSchema,
});

/** One split's rehearsal cut: its first `classes` classes (by label), at most `imagesPerClass` images each. */
export const SplitCutSchema = z.strictObject({ classes: positiveInt, imagesPerClass: positiveInt });

/**
 * Set by `--rehearse` (configs/rehearsal.ts): this configuration is a small rehearsal of another.
 * `cut` shrinks every split (an input of the dataset stages' digests); `full` keeps what the
 * rehearsal shrank, so the cost estimate can scale the measured times to the full run.
 */
export const RehearsalSchema = z.strictObject({
  cut: z.strictObject({ train: SplitCutSchema, val: SplitCutSchema, test: SplitCutSchema }),
  full: z.strictObject({
    experiment: z.string().min(1),
    iterationsPerEpoch: positiveInt,
    maxEpochs: positiveInt,
    patience: positiveInt,
    swappedRepetitions: positiveInt,
    /** attribution.maxImages of the full run; omitted: every test image. */
    attributionImages: positiveInt.optional(),
  }),
  /** The epoch count the "typical" estimate assumes (configs/rehearsal.ts says why its default). */
  typicalEpochs: positiveInt,
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
    seeds: distinct(z.int().min(0)),
    datasets: distinct(DatasetNameSchema),
    losses: distinct(LossName),
    modes: distinct(Mode),
    data: DataSchema,
    model: ModelSchema,
    transform: TransformSchema,
    optimizer: OptimizerSchema,
    sampler: SamplerSchema,
    training: TrainingSchema,
    evaluation: EvaluationSchema,
    attribution: AttributionSchema,
    /** Loss hyperparameters per dataset (docs/protocol.md section 8 for the paper's three). */
    lossParams: z.record(z.string(), LossParamsSchema),
    storage: z.strictObject({ bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, 'an S3 bucket name') }),
    /** Grid cells trained at the same time (each takes one GPU-worker slot). */
    concurrency: z.strictObject({ cells: positiveInt }),
    /** Present when this is a rehearsal (`bgbias run --rehearse`) of the configuration in `rehearsal.full`. */
    rehearsal: RehearsalSchema.optional(),
  })
  .superRefine((cfg, ctx) => {
    const folders = Object.keys(cfg.data.folders);
    for (const name of folders) {
      const problem = !DATASET_NAME_PATTERN.test(name)
        ? 'a folder dataset is named by lower-case letters, digits, _ and - (at most 40, no dots): the name is part of store keys'
        : isBuiltinDataset(name)
          ? `'${name}' is a built-in dataset (${DATASET_NAMES.join(', ')}): register the folder under another name`
          : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: ['data', 'folders', name], message: problem });
    }
    const known = (d: string) => isBuiltinDataset(d) || folders.includes(d);
    const knownList = () =>
      `expected one of ${[...DATASET_NAMES, ...folders].join(', ')}, or a folder registered as data.folders.<name>=<path>`;
    for (const [i, d] of cfg.datasets.entries())
      if (!known(d))
        ctx.addIssue({ code: 'custom', path: ['datasets', i], message: `unknown dataset '${d}': ${knownList()}` });
    for (const d of Object.keys(cfg.lossParams))
      if (!known(d))
        ctx.addIssue({ code: 'custom', path: ['lossParams', d], message: `unknown dataset '${d}': ${knownList()}` });
    for (const [i, d] of cfg.datasets.entries()) {
      if (known(d) && !cfg.lossParams[d])
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
    // The M-per-class sampler fills a batch with batchSize/m classes of m images each (m follows the
    // loss: docs/protocol.md section 7); a remainder would otherwise fail every training attempt later.
    for (const [i, loss] of cfg.losses.entries()) {
      const m = SAMPLER_M[loss];
      if (cfg.sampler.batchSize % m !== 0)
        ctx.addIssue({
          code: 'custom',
          path: ['sampler', 'batchSize'],
          message:
            `${cfg.sampler.batchSize} is not a multiple of m = ${m}, the images per class that loss ${loss} ` +
            `(losses.${i}) samples`,
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
export type ModelConfig = z.infer<typeof ModelSchema>;
export type RehearsalConfig = z.infer<typeof RehearsalSchema>;
export type SplitCut = z.infer<typeof SplitCutSchema>;
