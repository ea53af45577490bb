/**
 * Cars196 (Stanford Cars) index: car_ims/ from car_ims.tgz and the annotations of cars_annos.mat
 * (a MATLAB v5 struct array `annotations` with relative_im_path, bbox_*, class, test).
 * As the reference (src/datamodules/cars196.py): label = class - 1, annotation order, the split by
 * CLASS (0-73 train, 74-97 val, 98-195 test); the file's own train/test flag is ignored.
 */
import { join } from 'node:path';
import { matScalar, matString, MatValue, readMatFile } from './matV5';
import { checkFilesExist, readRequired } from './fsUtil';
import { DatasetIndex, IndexItem } from './types';

export const CARS196_SPLIT_LABELS = { train: [0, 73], val: [74, 97], test: [98, 195] } as const;

/** `root` holds car_ims/ and cars_annos.mat. */
export async function indexCars196(root: string, opts: { checkFiles?: boolean } = {}): Promise<DatasetIndex> {
  const matPath = join(root, 'cars_annos.mat');
  const vars = readMatFile(await readRequired(matPath, 'Cars196 annotation file cars_annos.mat'), matPath);
  const ann: MatValue | undefined = vars.annotations;
  if (!ann || ann.kind !== 'struct')
    throw new Error(`${matPath}: expected a struct array 'annotations', found ${ann ? ann.kind : 'none'}`);
  for (const f of ['relative_im_path', 'class']) {
    if (!ann.fieldNames.includes(f))
      throw new Error(`${matPath}: 'annotations' has no field '${f}' (fields: ${ann.fieldNames.join(', ')})`);
  }
  const items: IndexItem[] = ann.elements.map((e, i) => {
    const label = matScalar(e.class, `${matPath} annotations(${i + 1}).class`) - 1;
    if (!Number.isInteger(label) || label < 0 || label > 195)
      throw new Error(`${matPath}: annotations(${i + 1}).class = ${label + 1} is outside 1..196`);
    return { path: matString(e.relative_im_path, `${matPath} annotations(${i + 1}).relative_im_path`), label };
  });
  if (opts.checkFiles !== false)
    await checkFilesExist(
      root,
      items.map((i) => i.path),
      'cars196',
    );
  const inRange = (r: readonly [number, number]) => items.filter((i) => i.label >= r[0] && i.label <= r[1]);
  return {
    dataset: 'cars196',
    numTrainClasses: 74,
    splits: {
      train: inRange(CARS196_SPLIT_LABELS.train),
      val: inRange(CARS196_SPLIT_LABELS.val),
      test: inRange(CARS196_SPLIT_LABELS.test),
    },
  };
}
