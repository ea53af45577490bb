/**
 * What the CLI says while a server it needs is away: once that it is gone (with the first error's
 * first line), once that it is back (with how long it was away), nothing in between. Used for the
 * Temporal server while a workflow is watched (watchWorkflow.ts) and for the S3 server while
 * results are read (s3Outage.ts).
 */
export interface OutageWording {
  /** e.g. "Temporal server" */
  server: string;
  /** Its address, when the message should name it. */
  at?: string;
  /** Why waiting is safe, after "waiting for it to come back." */
  meanwhile: string;
  /** What the command goes on with, after "reachable again after N s; ". */
  then: string;
}

export class OutageNotice {
  private since?: number;
  constructor(
    private readonly print: (line: string) => void,
    private readonly wording: OutageWording,
  ) {}

  unreachable(err: unknown): void {
    if (this.since !== undefined) return;
    this.since = Date.now();
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    const { server, at, meanwhile } = this.wording;
    this.print(`${server} unreachable${at ? ` at ${at}` : ''} (${why}); waiting for it to come back. ${meanwhile}`);
  }

  reached(): void {
    if (this.since === undefined) return;
    const s = ((Date.now() - this.since) / 1000).toFixed(0);
    this.print(`${this.wording.server} reachable again after ${s} s; ${this.wording.then}`);
    this.since = undefined;
  }

  /** How long the server has been away (undefined while it answers). */
  awayMs(): number | undefined {
    return this.since === undefined ? undefined : Date.now() - this.since;
  }
}
