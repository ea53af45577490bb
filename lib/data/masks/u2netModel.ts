/** The u2net model file (rembg 2.0.19's u2net.onnx), downloaded from configurable addresses and md5-verified. */
import { downloadFromMirrors, DownloadResult } from '../download/downloadFile';

export const U2NET_MD5 = '60024c5c889badc19c04ad937298a77b';

export function fetchU2netModel(opts: {
  urls: readonly string[];
  dest: string;
  md5?: string;
  retries?: number;
  onProgress?: (received: number, total?: number) => void;
}): Promise<DownloadResult> {
  return downloadFromMirrors(opts.urls, {
    dest: opts.dest,
    md5: opts.md5 ?? U2NET_MD5,
    retries: opts.retries,
    onProgress: opts.onProgress ? (p) => opts.onProgress!(p.received, p.total) : undefined,
  });
}
