/**
 * Where the paper's published files live, with the checksums that identify them whatever the
 * address. Every address and sum of a paper artefact is defined here once; the presets, the
 * download code's callers and the docs refer to these. (The datasets' archives, with their md5s
 * and original addresses, are in configs/paper/datasets.ts.)
 */

/**
 * The paper repository's raw files (github.com/LSX-UniWue/background-bias-in-dml), pinned to the
 * commit whose SHA256SUMS we copied (aea4857): the Unsplash backgrounds and the hand-labelled masks.
 */
export const PAPER_REPO_RAW =
  'https://raw.githubusercontent.com/LSX-UniWue/background-bias-in-dml/aea48571ce7b4e39b4ad1f462ee1650ffbfd2dbb';

/**
 * ImageNet BN-Inception weights (Cadene pretrainedmodels 0.7.4). Like torch.hub, the name promises
 * that the file's sha256 starts with the hex after the dash.
 */
export const BN_INCEPTION_WEIGHTS = {
  url: 'http://data.lip6.fr/cadene/pretrainedmodels/bn_inception-52deb4733.pth',
  sha256Prefix: '52deb4733',
} as const;

/** rembg 2.0.19's u2net model and its md5 (docs/protocol.md section 3). */
export const U2NET_MODEL = {
  url: 'https://github.com/danielgatis/rembg/releases/download/v0.0.0/u2net.onnx',
  md5: '60024c5c889badc19c04ad937298a77b',
} as const;
