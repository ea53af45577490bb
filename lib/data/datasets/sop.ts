/**
 * Stanford Online Products index from Ebay_train.txt / Ebay_test.txt (columns
 * `image_id class_id super_class_id path`, one header line), as the reference
 * (src/datamodules/stanford_online_products.py): label = class_id - 1; train = Ebay_train rows with
 * label < 8489, val = the other Ebay_train rows, test = all of Ebay_test; file order kept.
 */
import { join } from 'node:path';
import { checkFilesExist, readRequired } from './fsUtil';
import { DatasetIndex, IndexItem } from './types';

export const SOP_TRAIN_VAL_SPLIT_LABEL = 8489;
const DIR = 'Stanford_Online_Products';

export function parseEbayList(text: string, source: string): IndexItem[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines.shift()?.trim().split(/\s+/);
  if (!header || header.join(' ') !== 'image_id class_id super_class_id path') {
    throw new Error(
      `${source}: expected the header 'image_id class_id super_class_id path', found '${header?.join(' ')}'`,
    );
  }
  return lines.map((line, i) => {
    const cols = line.trim().split(/\s+/);
    const classId = Number(cols[1]);
    if (cols.length !== 4 || !Number.isInteger(classId) || classId < 1)
      throw new Error(`${source} line ${i + 2}: cannot parse '${line}'`);
    return { path: `${DIR}/${cols[3]}`, label: classId - 1 };
  });
}

/** `root` holds Stanford_Online_Products/ (as the zip extracts). */
export async function indexSop(root: string, opts: { checkFiles?: boolean } = {}): Promise<DatasetIndex> {
  const trainFile = join(root, DIR, 'Ebay_train.txt');
  const testFile = join(root, DIR, 'Ebay_test.txt');
  const train = parseEbayList((await readRequired(trainFile, 'SOP list Ebay_train.txt')).toString('utf8'), trainFile);
  const test = parseEbayList((await readRequired(testFile, 'SOP list Ebay_test.txt')).toString('utf8'), testFile);
  if (opts.checkFiles !== false)
    await checkFilesExist(
      root,
      [...train, ...test].map((i) => i.path),
      'sop',
    );
  return {
    dataset: 'sop',
    numTrainClasses: SOP_TRAIN_VAL_SPLIT_LABEL,
    splits: {
      train: train.filter((i) => i.label < SOP_TRAIN_VAL_SPLIT_LABEL),
      val: train.filter((i) => i.label >= SOP_TRAIN_VAL_SPLIT_LABEL),
      test,
    },
  };
}
