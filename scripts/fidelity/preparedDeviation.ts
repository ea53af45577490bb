/**
 * How far our train / eval tensors are from the reference's, per prepared-image storage format
 * (docs/prepared-images.md). The reference decodes the ORIGINAL file with PIL at every access and
 * runs Resize(256) + CenterCrop(227) or RandomResizedCrop(227) + flip; we decode it once with sharp,
 * resize it once PIL-exact, store it ('jpeg-420' | 'jpeg-444' | 'png'), decode that again in the
 * worker and transform. Both sides use the same crop parameters (the same recorded uniforms).
 *
 *   node --import tsx scripts/fidelity/preparedDeviation.ts [--data DIR] [--out DIR]
 *
 * --data: a folder with cars196/ cub200/ sop/ of the paper's published gt_masks (default
 * $BGBIAS_PAPER_DATA_DIR/gt_masks when set, else the files are downloaded from the paper repository
 * and checked against their sha256 sums). Runs scripts/fidelity/prepared_reference.py (PIL +
 * torchvision, installed by python-deps.sh) into --out (default out/fidelity), prints the table and
 * writes out/fidelity/prepared-deviation.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PAPER_REPO_RAW } from '../../configs/paper/addresses';
import { GT_MASKS_SHA256SUMS } from '../../configs/paper/backgrounds';
import { readSha256SumsFile } from '../../lib/data/download/checksumList';
import { fetchGtMasks } from '../../lib/data/backgrounds';
import { decodeGray, decodeRgb } from '../../lib/data/decodeShards';
import { readGray, readRgb } from '../../lib/image/decode';
import { encodePreparedPair } from '../../lib/data/prepareDataset';
import { PREPARED_FORMATS } from '../../lib/data/preparedImage';
import { readNpy } from '../../lib/io/npy';
import { pilResize } from '../../lib/image/pilResize';
import { evalTransform, PAPER_TRANSFORM, trainTransform } from '../../lib/ml/transforms/pipeline';
import { randomResizedCropParams, type TransformRng } from '../../lib/ml/transforms/randomResizedCrop';
import { flag } from '../../bench/flags';

const ROOT = resolve(__dirname, '..', '..');
/** SOP's image count (train 59,551 + test 60,502), for the storage estimate. */
const SOP_IMAGES = 120053;

interface RefCrop {
  uniforms: number[];
  top: number;
  left: number;
  height: number;
  width: number;
  flip: boolean;
}
interface RefItem {
  dataset: string;
  file: string;
  stem: string;
  original: [number, number];
  resized: [number, number];
  train: RefCrop[];
}

/** Replays the reference's recorded uniforms with the mapping of scripts/fixtures/gen_transforms.py. */
class ReplayRng implements TransformRng {
  used = 0;
  constructor(private readonly values: readonly number[]) {}
  uniform(): number {
    if (this.used >= this.values.length) throw new Error(`replay stream exhausted after ${this.used} values`);
    return this.values[this.used++];
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }
}

/** Absolute differences of one comparison, accumulated. */
class Diff {
  max = 0;
  sum = 0;
  n = 0;
  nonZero = 0;
  add(ours: Float32Array, ref: Float32Array, what: string): void {
    if (ours.length !== ref.length) throw new Error(`${what}: ${ours.length} values vs ${ref.length}`);
    for (let i = 0; i < ours.length; i++) {
      const d = Math.abs(ours[i] - ref[i]);
      if (d > this.max) this.max = d;
      this.sum += d;
      if (d > 0) this.nonZero++;
    }
    this.n += ours.length;
  }
  summary() {
    return { max: this.max, mean: this.sum / this.n, differing: this.nonZero / this.n, values: this.n };
  }
}

/** The reference's tensor from its uint8 BGR pixels: to_tensor (v/255 in float32) x255, minus the mean. */
function referenceImageTensor(bgr: Uint8Array): Float32Array {
  const mean = PAPER_TRANSFORM.mean;
  const out = new Float32Array(bgr.length);
  for (let i = 0; i < bgr.length; i++) out[i] = Math.fround(Math.fround(Math.fround(bgr[i] / 255) * 255) - mean[i % 3]);
  return out;
}

function referenceMaskTensor(gray: Uint8Array): Float32Array {
  return Float32Array.from(gray, (v) => v / 255);
}

async function npyBytes(dir: string, name: string): Promise<Uint8Array> {
  const a = await readNpy(join(dir, name));
  if (a.dtype !== 'uint8') throw new Error(`${name}: expected uint8, got ${a.dtype}`);
  return a.data as Uint8Array;
}

async function dataFolder(out: string): Promise<string> {
  const given = flag('data', '');
  if (given) return resolve(given);
  const local = process.env.BGBIAS_PAPER_DATA_DIR;
  if (local) return resolve(local, 'gt_masks');
  const dest = join(out, 'gt_masks');
  const files = readSha256SumsFile(GT_MASKS_SHA256SUMS).filter((f) => /_(image\.jpeg|mask_pred\.png)$/.test(f.path));
  console.error(`downloading ${files.length} published images and masks into ${dest}`);
  await fetchGtMasks({ source: `${PAPER_REPO_RAW}/notebooks/gt_masks/`, destDir: dest, files });
  return dest;
}

async function main(): Promise<void> {
  const out = resolve(flag('out', join(ROOT, 'out', 'fidelity')));
  mkdirSync(out, { recursive: true });
  const data = await dataFolder(out);
  const refDir = join(out, 'reference');
  rmSync(refDir, { recursive: true, force: true });
  execFileSync('bash', [join(ROOT, 'scripts', 'fidelity', 'python-deps.sh')], { stdio: 'inherit' });
  execFileSync(
    '/usr/bin/python3',
    [join(ROOT, 'scripts/fidelity/prepared_reference.py'), '--data', data, '--out', refDir],
    {
      stdio: 'inherit',
    },
  );
  const meta = JSON.parse(readFileSync(join(refDir, 'reference.json'), 'utf8')) as {
    items: RefItem[];
    versions: object;
  };
  const cfg = PAPER_TRANSFORM;
  const diffs = new Map<string, Diff>();
  const diff = (key: string) => diffs.get(key) ?? diffs.set(key, new Diff()).get(key)!;
  const bytes = new Map<string, number[]>();
  const addBytes = (key: string, n: number) => (bytes.get(key) ?? bytes.set(key, []).get(key)!).push(n);
  const decodeMs = new Map<string, number>();
  const addMs = (key: string, ms: number) => decodeMs.set(key, (decodeMs.get(key) ?? 0) + ms);

  for (const item of meta.items) {
    const folder = join(data, item.dataset);
    const original = await readRgb(join(folder, item.file));
    const originalMask = await readGray(join(folder, item.file.replace('_image.jpeg', '_mask_pred.png')));
    const refEval = referenceImageTensor(await npyBytes(refDir, `${item.stem}_eval.npy`));
    const refEvalMask = referenceMaskTensor(await npyBytes(refDir, `${item.stem}_eval_mask.npy`));
    const refTrain = await Promise.all(item.train.map((_, k) => npyBytes(refDir, `${item.stem}_train${k}.npy`)));
    const refTrainMask = await Promise.all(
      item.train.map((_, k) => npyBytes(refDir, `${item.stem}_train${k}_mask.npy`)),
    );
    const [rw, rh] = item.resized;
    // The decoders alone: sharp's decode + our PIL-exact resize against PIL's decode + Resize(256).
    const ours = pilResize(original, 3, rw, rh, 'bilinear');
    const pils = await npyBytes(refDir, `${item.stem}_resized_rgb.npy`);
    diff('decoder').add(Float32Array.from(ours), Float32Array.from(pils), `${item.stem} decode + resize`);
    for (const format of PREPARED_FORMATS) {
      // The product's route: prepareDataset's resize + storage, the worker's decode, the transforms.
      const pair = await encodePreparedPair(original, originalMask, cfg.resizeShort, format);
      addBytes(`${format}:${item.dataset}`, pair.image.length);
      if (format === 'png') addBytes(`mask:${item.dataset}`, pair.mask.length);
      const t0 = performance.now();
      const image = await decodeRgb(pair.image, item.stem);
      addMs(format, performance.now() - t0);
      const mask = await decodeGray(pair.mask, `${item.stem} (mask)`);
      if (image.width !== rw || image.height !== rh)
        throw new Error(`${item.stem}: prepared ${image.width}x${image.height}, reference resized ${rw}x${rh}`);
      const ev = evalTransform(image, mask, cfg);
      diff(`${format}:eval`).add(ev.image, refEval, `${item.stem} eval`);
      diff(`${format}:mask`).add(ev.mask!, refEvalMask, `${item.stem} eval mask`);
      item.train.forEach((crop, k) => {
        // Same crop on both sides: the recorded stream gives our get_params the reference's box.
        const check = new ReplayRng(crop.uniforms);
        const p = randomResizedCropParams(rw, rh, check, cfg.scale, cfg.ratio);
        const flip = check.uniform() > 0.5;
        const same =
          p.top === crop.top &&
          p.left === crop.left &&
          p.height === crop.height &&
          p.width === crop.width &&
          flip === crop.flip;
        if (!same)
          throw new Error(
            `${item.stem} crop ${k}: ours ${JSON.stringify({ ...p, flip })}, reference ${JSON.stringify(crop)}`,
          );
        const rng = new ReplayRng(crop.uniforms);
        const t = trainTransform(image, mask, cfg, rng);
        if (rng.used !== crop.uniforms.length)
          throw new Error(
            `${item.stem} crop ${k}: trainTransform drew ${rng.used} values, the reference ${crop.uniforms.length}`,
          );
        diff(`${format}:train`).add(t.image, referenceImageTensor(refTrain[k]), `${item.stem} train ${k}`);
        diff(`${format}:mask`).add(t.mask!, referenceMaskTensor(refTrainMask[k]), `${item.stem} train ${k} mask`);
      });
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const result = {
    date: new Date().toISOString(),
    images: meta.items.length,
    trainCropsPerImage: meta.items[0].train.length,
    reference: meta.versions,
    deviation: Object.fromEntries([...diffs].map(([k, d]) => [k, d.summary()])),
    decodeMsPerImage: Object.fromEntries([...decodeMs].map(([k, ms]) => [k, ms / meta.items.length])),
    bytesPerImage: Object.fromEntries([...bytes].map(([k, xs]) => [k, mean(xs)])),
    sopEstimateBytes: Object.fromEntries(
      [...PREPARED_FORMATS, 'mask'].map((f) => [f, mean(bytes.get(`${f}:sop`)!) * SOP_IMAGES]),
    ),
  };
  writeFileSync(join(out, 'prepared-deviation.json'), JSON.stringify(result, null, 1));

  const d = (k: string) => result.deviation[k];
  const f2 = (x: number) => x.toFixed(2);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(
    `\n${result.images} images, eval + ${result.trainCropsPerImage} train crops each; |ours - reference| on 0-255 BGR values`,
  );
  const dec = d('decoder');
  console.log(
    `decoders (sharp vs PIL, then the same resize to 256): max ${dec.max}, mean ${dec.mean.toFixed(4)}, differing ${pct(dec.differing)}`,
  );
  console.log(
    '\n| storage | eval max | eval mean | eval differing | train max | train mean | train differing | decode ms/image |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const format of PREPARED_FORMATS) {
    const e = d(`${format}:eval`);
    const t = d(`${format}:train`);
    console.log(
      `| ${format} | ${f2(e.max)} | ${e.mean.toFixed(3)} | ${pct(e.differing)} | ${f2(t.max)} | ${t.mean.toFixed(3)} | ${pct(t.differing)} | ${result.decodeMsPerImage[format].toFixed(2)} |`,
    );
  }
  console.log('\nmask (always PNG):', PREPARED_FORMATS.map((f) => `${f} max ${d(`${f}:mask`).max}`).join(', '));
  console.log('\n| storage | cars196 KiB/image | cub200 | sop | SOP x 120,053 |');
  console.log('|---|---|---|---|---|');
  for (const f of [...PREPARED_FORMATS, 'mask']) {
    const b = (ds: string) => (result.bytesPerImage[`${f}:${ds}`] / 1024).toFixed(1);
    console.log(
      `| ${f} | ${b('cars196')} | ${b('cub200')} | ${b('sop')} | ${(result.sopEstimateBytes[f] / 2 ** 30).toFixed(2)} GiB |`,
    );
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
