/**
 * Where the paper's three datasets come from (docs/protocol.md section 2): file names, md5 sums and the
 * ORIGINAL addresses (several are dead today), plus the image counts that a correct copy must give.
 *
 * Mirrors: the md5 identifies the right file whatever the address, so users add addresses without
 * touching this file, in either of two ways (both are tried in order BEFORE the originals):
 *  - the experiment config's `data.mirrors`, keyed by file name:
 *      { "car_ims.tgz": ["https://my.mirror/cars/car_ims.tgz"], "cars_annos.mat": [...] }
 *  - the environment variable BGBIAS_DATASET_MIRRORS: comma-separated address PREFIXES; the file
 *    name is appended to each (e.g. BGBIAS_DATASET_MIRRORS=https://my.mirror/bgbias/ tries
 *    https://my.mirror/bgbias/car_ims.tgz). file:///abs/folder/ prefixes work for a local copy.
 * Data only: their shape (zod) and the download/extract/index code are lib/data/datasets.
 */
import type { DatasetSources } from '../../lib/data/datasets/sources';

export const DATASET_SOURCES: DatasetSources = {
  cars196: {
    files: [
      {
        name: 'car_ims.tgz',
        md5: 'd5c8f0aa497503f355e17dc7886c3f14',
        urls: ['http://imagenet.stanford.edu/internal/car196/car_ims.tgz'],
        kind: 'archive',
        optional: false,
      },
      {
        name: 'cars_annos.mat',
        md5: 'b407c6086d669747186bd1d764ff9dbc',
        urls: ['http://imagenet.stanford.edu/internal/car196/cars_annos.mat'],
        kind: 'file',
        optional: false,
      },
    ],
    // 16,185 images of 196 classes; test = classes 98-195: 8,131 images (docs/protocol.md section 2).
    expected: { images: 16185, classes: 196, test: 8131, testClasses: 98 },
  },
  cub200: {
    files: [
      // The reference downloads this Google Drive id with gdown; a plain https address works for
      // small files only (large ones need a confirmation step): users should give a mirror.
      {
        name: 'CUB_200_2011.tgz',
        md5: '97eceeb196236b17998738112f37df78',
        urls: ['https://drive.google.com/uc?id=1hbzc_P1FuxMkcabkgn9ZKinBwW683j45&export=download'],
        kind: 'archive',
        optional: false,
      },
      // Official CUB segmentations (not used by the paper's training; used for the mask-quality
      // check on all CUB images). No published sum we could verify: only mirrors, unverified.
      { name: 'segmentations.tgz', urls: [], kind: 'archive', optional: true },
    ],
    expected: { images: 11788, classes: 200, test: 5924, testClasses: 100 },
  },
  sop: {
    files: [
      // ftp:// is not supported by the downloader: the original only documents provenance.
      {
        name: 'Stanford_Online_Products.zip',
        md5: '7f73d41a2f44250d4779881525aea32e',
        urls: ['ftp://cs.stanford.edu/cs/cvgl/Stanford_Online_Products.zip'],
        kind: 'archive',
        optional: false,
      },
    ],
    // 59,551 (Ebay_train, 11,318 classes) + 60,502 (Ebay_test, 11,316 classes) images.
    expected: { images: 120053, classes: 22634, test: 60502, testClasses: 11316 },
  },
};
