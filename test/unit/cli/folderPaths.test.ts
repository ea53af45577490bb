import { test } from 'node:test';
import assert from 'node:assert/strict';
import { absoluteFolderPaths } from '../../../cli/folderPaths';
import { parseOverrideArgs } from '../../../configs/resolve';

test('relative folder paths on the command line become absolute against the shell folder; others stay', () => {
  const args = [
    'datasets=myshop,shop2',
    'data.folders.myshop=./photos',
    'data.folders.shop2={"path":"shop2","masks":"../masks"}',
    'data.folders.shop3.masks=m',
    'data.folders.abs=/already/there',
    'data.localDataDir=./paper',
  ];
  assert.deepEqual(absoluteFolderPaths(parseOverrideArgs(args), '/home/me/work'), {
    datasets: ['myshop', 'shop2'],
    'data.folders.myshop': '/home/me/work/photos',
    'data.folders.shop2': { path: '/home/me/work/shop2', masks: '/home/me/masks' },
    'data.folders.shop3.masks': '/home/me/work/m',
    'data.folders.abs': '/already/there',
    'data.localDataDir': './paper',
  });
  assert.deepEqual(absoluteFolderPaths({ 'data.folders': { a: 'x', b: { path: '/y', split: 'seeded' } } }, '/w'), {
    'data.folders': { a: '/w/x', b: { path: '/y', split: 'seeded' } },
  });
});
