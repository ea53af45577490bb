/**
 * CUB-200-2011 index from the CUB_200_2011.tgz folder layout, as torchvision's ImageFolder reads it
 * in the reference (src/datamodules/cub200.py): classes = sorted folder names of
 * CUB_200_2011/images, label = index in that order, files sorted within each class (so test-split
 * indices match the published gt_masks). Split by label: 0-74 train, 75-99 val, 100-199 test.
 * When the official segmentations (segmentations.tgz: segmentations/<class>/<name>.png) were
 * extracted next to it, each item names its official mask.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isDir, isFile } from './fsUtil';
import { DatasetIndex, IndexItem } from './types';

// torchvision.datasets.folder.IMG_EXTENSIONS, matched case-insensitively like ImageFolder.
const IMG_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];

/** Python's sorted() on str: by code point (JS's default sort compares UTF-16 units; same for BMP). */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function walkSorted(dir: string, rel: string, out: string[]): Promise<void> {
  // os.walk(sorted) visits a folder's files before its subfolders; CUB has no subfolders anyway.
  const entries = (await fsp.readdir(dir, { withFileTypes: true })).sort((a, b) => byCodePoint(a.name, b.name));
  for (const e of entries)
    if (e.isFile() && IMG_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x))) out.push(`${rel}/${e.name}`);
  for (const e of entries) if (e.isDirectory()) await walkSorted(join(dir, e.name), `${rel}/${e.name}`, out);
}

export async function indexCub200(root: string): Promise<DatasetIndex> {
  const imagesDir = join(root, 'CUB_200_2011', 'images');
  if (!(await isDir(imagesDir)))
    throw new Error(`cub200: missing image folder ${imagesDir} (is CUB_200_2011.tgz extracted here?)`);
  const classes = (await fsp.readdir(imagesDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort(byCodePoint);
  if (classes.length !== 200)
    throw new Error(`cub200: expected 200 class folders in ${imagesDir}, found ${classes.length}`);
  const segRoot = join(root, 'segmentations');
  const haveSeg = await isDir(segRoot);
  const items: IndexItem[] = [];
  for (let label = 0; label < classes.length; label++) {
    const files: string[] = [];
    await walkSorted(join(imagesDir, classes[label]), `CUB_200_2011/images/${classes[label]}`, files);
    for (const path of files) {
      const item: IndexItem = { path, label };
      if (haveSeg) {
        const seg = `segmentations/${path.slice('CUB_200_2011/images/'.length).replace(/\.[^./]+$/, '.png')}`;
        if (await isFile(join(root, seg))) item.officialMask = seg;
      }
      items.push(item);
    }
  }
  return {
    dataset: 'cub200',
    numTrainClasses: 75,
    splits: {
      train: items.filter((i) => i.label < 75),
      val: items.filter((i) => i.label >= 75 && i.label < 100),
      test: items.filter((i) => i.label >= 100),
    },
  };
}
