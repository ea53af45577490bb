// A CheckpointStore in memory, for the checkpoint and resume unit tests: `puts` records the order of
// writes, and `failOn` names one key whose write fails (a worker lost between two writes).
import type { CheckpointStore } from '../../activities/training/cellCheckpoints';

export class MapCheckpointStore implements CheckpointStore {
  readonly objects = new Map<string, Buffer>();
  readonly puts: string[] = [];
  constructor(private readonly failOn?: string) {}
  async exists(key: string) {
    return this.objects.has(key);
  }
  async getBuffer(key: string) {
    const b = this.objects.get(key);
    if (!b) throw new Error(`no ${key}`);
    return b;
  }
  async putBuffer(key: string, buf: Buffer) {
    if (key === this.failOn) throw new Error(`cannot write ${key}`);
    this.puts.push(key);
    this.objects.set(key, Buffer.from(buf));
  }
}
