/**
 * u2net through onnxruntime-node (CPU, or CUDA where asked and it loads: executionProvider.ts): images in, soft masks (0..255, image size) out, with
 * rembg 2.0.19's exact processing. Runs a whole batch in one call when the model's batch dimension
 * is dynamic, else one image per call; min-max normalisation is always per image (rembg's batch is 1).
 */
import * as ort from 'onnxruntime-node';
import type { GrayImage, RgbImage } from '../../image/types';
import type { U2netProvider } from './executionProvider';
import { U2NET_SIZE, u2netInput, u2netMask } from './u2netProcessing';

export interface U2netLoadOptions {
  intraOpThreads?: number;
  /** Execution providers to try in order (default cpu only); a provider that fails to load is skipped. */
  providers?: readonly U2netProvider[];
  /** One line saying which provider the session got (and why another was skipped). */
  log?: (line: string) => void;
}

export class U2netSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly outputName: string,
    private readonly dynamicBatch: boolean,
    /** The execution provider the session runs on. */
    readonly provider: U2netProvider,
  ) {}

  static async load(modelPath: string, opts: U2netLoadOptions = {}): Promise<U2netSession> {
    const providers = opts.providers?.length ? opts.providers : (['cpu'] as const);
    let session: ort.InferenceSession | undefined;
    let provider: U2netProvider = 'cpu';
    const skipped: string[] = [];
    for (const [i, p] of providers.entries()) {
      try {
        session = await ort.InferenceSession.create(modelPath, {
          executionProviders: [p],
          intraOpNumThreads: opts.intraOpThreads ?? 1,
        });
        provider = p;
        break;
      } catch (e) {
        const why = (e as Error).message.split('\n')[0];
        if (i === providers.length - 1)
          throw new Error(`cannot load the u2net model ${modelPath}: ${(e as Error).message}`, { cause: e });
        skipped.push(`${p} failed to load: ${why}`);
      }
    }
    if (!session) throw new Error(`cannot load the u2net model ${modelPath}: no execution provider`);
    opts.log?.(
      `u2net: onnxruntime ${provider} execution provider` +
        (provider === 'cpu' ? `, ${opts.intraOpThreads ?? 1} thread(s)` : '') +
        (skipped.length ? ` (${skipped.join('; ')})` : ''),
    );
    const meta = session.inputMetadata?.[0] as { isTensor?: boolean; shape?: readonly (number | string)[] } | undefined;
    const shape = meta?.shape;
    if (shape && shape.length === 4 && (shape[2] !== U2NET_SIZE || shape[3] !== U2NET_SIZE || shape[1] !== 3)) {
      throw new Error(
        `${modelPath}: input ${session.inputNames[0]} has shape [${shape.join(', ')}], expected [N, 3, ` +
          `${U2NET_SIZE}, ${U2NET_SIZE}]`,
      );
    }
    const dynamicBatch = !!shape && typeof shape[0] !== 'number';
    // rembg: the session's first input, and output 0.
    return new U2netSession(session, session.inputNames[0], session.outputNames[0], dynamicBatch, provider);
  }

  async predict(images: readonly RgbImage[]): Promise<GrayImage[]> {
    const plane = U2NET_SIZE * U2NET_SIZE;
    const out: GrayImage[] = [];
    const step = this.dynamicBatch ? images.length : 1;
    for (let s = 0; s < images.length; s += step) {
      const batch = images.slice(s, s + step);
      const input = new Float32Array(batch.length * 3 * plane);
      batch.forEach((img, k) => u2netInput(img, input, k * 3 * plane));
      const tensor = new ort.Tensor('float32', input, [batch.length, 3, U2NET_SIZE, U2NET_SIZE]);
      const result = await this.session.run({ [this.inputName]: tensor });
      const o = result[this.outputName];
      const data = o.data as Float32Array;
      const perImage = data.length / batch.length; // [N, C, 320, 320]: channel 0 is the first plane
      batch.forEach((img, k) =>
        out.push(u2netMask(data.subarray(k * perImage, k * perImage + plane), img.width, img.height)),
      );
      tensor.dispose();
      for (const v of Object.values(result)) v.dispose();
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
