/**
 * A local stand-in for the paper repository's public address (raw.githubusercontent.com/<repo>/<commit>/):
 * an HTTP server with the same path layout (data/unsplash_backgrounds/, notebooks/gt_masks/), whose
 * files are READ at test time from the local copy of the paper's data (test/helpers/sharedData.ts).
 * Point `data.paperRepoUrl` at `paperRepoUrl` and the product takes its download route.
 */
import { join } from 'node:path';
import { PAPER_REPO_RAW } from '../../configs/paper/addresses';
import { startHttpFileServer, type HttpFileServer } from './httpFileServer';
import { SHARED_DATA } from './sharedData';

export interface PaperRepoServer {
  server: HttpFileServer;
  /** Value for data.paperRepoUrl: the server's address + the public address's path. */
  paperRepoUrl: string;
  /** Path prefix of the backgrounds on the server (for checking server.requests). */
  backgroundsPath: string;
  gtMasksPath: string;
}

export async function startPaperRepoServer(localCopy = SHARED_DATA): Promise<PaperRepoServer> {
  const repoPath = `${new URL(PAPER_REPO_RAW).pathname.replace(/\/$/, '')}/`; // '/LSX-UniWue/background-bias-in-dml/<commit>/'
  const backgroundsPath = `${repoPath}data/unsplash_backgrounds/`;
  const gtMasksPath = `${repoPath}notebooks/gt_masks/`;
  const server = await startHttpFileServer({
    [backgroundsPath]: join(localCopy, 'unsplash_backgrounds'),
    [gtMasksPath]: join(localCopy, 'gt_masks'),
  });
  return { server, paperRepoUrl: `${server.baseUrl}${repoPath.replace(/\/$/, '')}`, backgroundsPath, gtMasksPath };
}
