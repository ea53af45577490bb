/**
 * A folder of the user's images as a dataset index (pure: it works on the list of relative file
 * paths, so the same code checks a folder before its import and indexes the stored copy after it).
 *
 * Layouts (torchvision ImageFolder's, as the paper's CUB200 is read):
 *  - `<class>/<image>`: one sub-folder per class, split class-disjointly here;
 *  - `train/<class>/<image>`, optional `val/<class>/<image>`, `test/<class>/<image>`: already split.
 * Images are the files with ImageFolder's extensions anywhere below a class folder (sorted by code
 * point); other files, hidden ones (a name starting with '.') and files directly at the top are
 * ignored and listed.
 *
 * The seeded split keeps the paper's proportions (docs/protocol.md section 2: Cars196 and CUB200 test
 * on the second half of their classes and validate on the last quarter of the first half):
 * test = floor(n / 2) classes, val = max(1, trainval - round(0.75 trainval)), train the rest; which
 * classes go where is a seeded shuffle of the sorted class names. Labels: train classes 0..t-1 (the
 * ArcFace / normalized-softmax weight columns), then val, then test, each in sorted name order.
 */
import { ValidationError } from '../../../contracts/errors';
import { Rng } from '../../util/rng';
import type { DatasetIndex, IndexItem, SplitName } from './types';

// torchvision.datasets.folder.IMG_EXTENSIONS, matched case-insensitively like ImageFolder.
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];

/** Version of the split rule: part of the prepared stage's digest (a changed rule never reuses shards). */
export const FOLDER_SPLIT_VERSION = 1;

export type FolderSplitMode = 'auto' | 'folders' | 'seeded';
export type FolderLayout = 'folders' | 'seeded';

export interface FolderIndexOptions {
  dataset: string;
  /** Every file below the folder, relative, '/'-separated. */
  files: readonly string[];
  split: FolderSplitMode;
  seed: number | string;
  /** Images whose mask is missing from the masks folder, and classes with fewer than 2 images. */
  policy: 'fail' | 'skip';
  /** With a masks folder: its files (relative). Each image needs `<path without extension>.png`. */
  maskFiles?: ReadonlySet<string>;
}

export interface FolderClass {
  name: string;
  split: SplitName;
  label: number;
  images: number;
}

export interface FolderIndex {
  index: DatasetIndex;
  layout: FolderLayout;
  /** The split as recorded in the stage: every class with its split, label and image count. */
  classes: FolderClass[];
  /** Images left out under the 'skip' policy, with the reason. */
  skipped: { path: string; reason: string }[];
  /** Files that are no dataset images (other extensions, or not inside a class folder). */
  ignored: string[];
}

/** The minimum a seeded split needs: 2 train classes (a metric loss needs negatives), 1 val, 2 test. */
export const MIN_SEEDED_CLASSES = 6;

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const SPLIT_DIRS: readonly SplitName[] = ['train', 'val', 'test'];

export const isImageFile = (path: string) => IMAGE_EXTENSIONS.some((x) => path.toLowerCase().endsWith(x));

/** The mask's relative path for an image (lib/data/masks/computeMasks.ts maskPathFor's layout). */
export const maskFileFor = (imagePath: string) => imagePath.replace(/\.[^./]+$/, '') + '.png';

/** A class and its images, before the split. */
interface ClassFiles {
  name: string;
  /** The folder the class was found in ('train', 'val', 'test' when pre-split). */
  from?: SplitName;
  images: string[];
}

function fail(dataset: string, message: string): never {
  // A folder that is not a usable dataset: no retry changes that (a non-retryable failure).
  throw new ValidationError(`folder dataset ${dataset}: ${message}`);
}

function listNames(xs: readonly string[], n = 5): string {
  return xs.slice(0, n).join(', ') + (xs.length > n ? `, ... (${xs.length} in all)` : '');
}

/** Which layout the top-level folders say, given the setting. */
function detectLayout(o: FolderIndexOptions, topDirs: ReadonlySet<string>): FolderLayout {
  if (o.split === 'seeded') return 'seeded';
  const splitDirs = SPLIT_DIRS.filter((s) => topDirs.has(s));
  if (o.split === 'auto' && splitDirs.length === 0) return 'seeded';
  const others = [...topDirs].filter((d) => !(SPLIT_DIRS as readonly string[]).includes(d)).sort(byCodePoint);
  if (!topDirs.has('train') || !topDirs.has('test') || others.length > 0)
    fail(
      o.dataset,
      `a pre-split folder holds train/ and test/ (and optionally val/) and nothing else at the top; found ` +
        `${[...topDirs].sort(byCodePoint).join('/, ')}/` +
        (o.split === 'auto' ? ` (set split 'seeded' if these are class names)` : ''),
    );
  return 'folders';
}

/** Groups the image files by class folder. */
function collectClasses(o: FolderIndexOptions, layout: FolderLayout, ignored: string[]): ClassFiles[] {
  const byKey = new Map<string, ClassFiles>();
  for (const file of [...o.files].sort(byCodePoint)) {
    const parts = file.split('/');
    const depth = layout === 'folders' ? 2 : 1; // folders above the image that name its class
    if (parts.length <= depth || !isImageFile(file)) {
      ignored.push(file);
      continue;
    }
    const from = layout === 'folders' ? (parts[0] as SplitName) : undefined;
    const name = parts[depth - 1];
    const key = `${from ?? ''}/${name}`;
    let c = byKey.get(key);
    if (!c) byKey.set(key, (c = { name, from, images: [] }));
    c.images.push(file);
  }
  return [...byKey.values()];
}

/** Drops (skip) or refuses (fail) images without a mask and classes with fewer than 2 images. */
function checkClasses(o: FolderIndexOptions, classes: ClassFiles[], skipped: FolderIndex['skipped']): ClassFiles[] {
  // Two images of one class that differ only by extension would share one mask file.
  const maskOwner = new Map<string, string>();
  for (const c of classes)
    for (const img of c.images) {
      const m = maskFileFor(img);
      const other = maskOwner.get(m);
      if (other) fail(o.dataset, `images ${other} and ${img} would share the mask ${m}: rename one of them`);
      maskOwner.set(m, img);
    }
  if (o.maskFiles) {
    const missing = classes.flatMap((c) => c.images.filter((img) => !o.maskFiles!.has(maskFileFor(img))));
    if (missing.length > 0 && o.policy === 'fail')
      fail(
        o.dataset,
        `no mask in the masks folder for ${missing.length} image(s): expected ` +
          `${listNames(missing.map(maskFileFor))} (or set data.unreadableImages=skip to leave them out)`,
      );
    const gone = new Set(missing);
    for (const img of missing) skipped.push({ path: img, reason: `no mask ${maskFileFor(img)} in the masks folder` });
    for (const c of classes) c.images = c.images.filter((img) => !gone.has(img));
  }
  const small = classes.filter((c) => c.images.length < 2);
  if (small.length > 0 && o.policy === 'fail')
    fail(
      o.dataset,
      `${small.length} class(es) with fewer than 2 images, which no query can retrieve: ` +
        `${listNames(small.map((c) => `${c.from ? `${c.from}/` : ''}${c.name} (${c.images.length})`))} ` +
        `(add images, remove the folders, or set data.unreadableImages=skip to leave them out)`,
    );
  for (const c of small)
    for (const img of c.images) skipped.push({ path: img, reason: `class ${c.name} has only this image` });
  return classes.filter((c) => c.images.length >= 2);
}

/** Class name -> split for an already split folder (val drawn from train when there is no val/). */
function givenSplit(o: FolderIndexOptions, classes: ClassFiles[]): Map<string, SplitName> {
  const where = new Map<string, SplitName>();
  const order = (c: ClassFiles) => SPLIT_DIRS.indexOf(c.from!);
  for (const c of [...classes].sort((a, b) => order(a) - order(b))) {
    const before = where.get(c.name);
    if (before)
      fail(
        o.dataset,
        `class ${c.name} is in both ${before}/ and ${c.from}/: the splits must share no class ` +
          `(retrieval is tested on classes never trained on)`,
      );
    where.set(c.name, c.from!);
  }
  if (!classes.some((c) => c.from === 'val')) {
    // No val/: the last quarter of the train classes (seeded), as the paper's val split.
    const train = classes.filter((c) => c.from === 'train').map((c) => c.name);
    const shuffled = Rng.fromSeed(JSON.stringify(['bgbias-folder-val', String(o.seed)])).shuffle(
      train.sort(byCodePoint),
    );
    const nVal = Math.max(1, shuffled.length - Math.round(0.75 * shuffled.length));
    if (shuffled.length - nVal < 2)
      fail(o.dataset, `train/ has ${shuffled.length} class(es): at least 3 are needed to draw a val split from it`);
    for (const name of shuffled.slice(shuffled.length - nVal)) where.set(name, 'val');
  }
  for (const s of SPLIT_DIRS)
    if (![...where.values()].includes(s)) fail(o.dataset, `${s}/ has no class with at least 2 images`);
  return where;
}

/** Class name -> split by the paper's proportions over a seeded shuffle of the sorted names. */
function seededSplit(o: FolderIndexOptions, classes: ClassFiles[]): Map<string, SplitName> {
  const names = classes.map((c) => c.name).sort(byCodePoint);
  if (names.length < MIN_SEEDED_CLASSES)
    fail(
      o.dataset,
      `${names.length} class(es) with at least 2 images; a class-disjoint train/val/test split needs at least ` +
        `${MIN_SEEDED_CLASSES}`,
    );
  const shuffled = Rng.fromSeed(JSON.stringify(['bgbias-folder-split', String(o.seed)])).shuffle([...names]);
  const nTest = Math.floor(names.length / 2);
  const nTrainVal = names.length - nTest;
  const nTrain = nTrainVal - Math.max(1, nTrainVal - Math.round(0.75 * nTrainVal));
  const where = new Map<string, SplitName>();
  shuffled.forEach((name, i) => where.set(name, i < nTrain ? 'train' : i < nTrainVal ? 'val' : 'test'));
  return where;
}

/** Hidden files and folders (.DS_Store, .ipynb_checkpoints/, .git/) are no part of a dataset. */
const isHidden = (path: string) => path.split('/').some((p) => p.startsWith('.'));

export function indexFolder(options: FolderIndexOptions): FolderIndex {
  const ignored = options.files.filter(isHidden);
  const o = { ...options, files: options.files.filter((f) => !isHidden(f)) };
  const topDirs = new Set(o.files.filter((f) => f.includes('/')).map((f) => f.split('/')[0]));
  const layout = detectLayout(o, topDirs);
  const skipped: FolderIndex['skipped'] = [];
  const classes = checkClasses(o, collectClasses(o, layout, ignored), skipped);
  if (classes.length === 0) fail(o.dataset, `no class folder with images (${IMAGE_EXTENSIONS.join(' ')})`);
  const where = layout === 'folders' ? givenSplit(o, classes) : seededSplit(o, classes);

  const recorded: FolderClass[] = [];
  const splits: Record<SplitName, IndexItem[]> = { train: [], val: [], test: [] };
  let label = 0;
  for (const split of SPLIT_DIRS) {
    const own = classes.filter((c) => where.get(c.name) === split).sort((a, b) => byCodePoint(a.name, b.name));
    for (const c of own) {
      recorded.push({ name: c.name, split, label, images: c.images.length });
      for (const path of c.images) splits[split].push({ path, label });
      label++;
    }
  }
  return {
    index: { dataset: o.dataset, numTrainClasses: recorded.filter((c) => c.split === 'train').length, splits },
    layout,
    classes: recorded,
    skipped,
    ignored,
  };
}
