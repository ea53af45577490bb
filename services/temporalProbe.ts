// A real request to a Temporal frontend: connect, ask for the system info and the namespace.
// (services/ is infrastructure between workers and lib/: it may use the client's gRPC connection,
// never activities or workflows.)
import { Connection } from '@temporalio/client';
import { FatalProbeError } from './readiness';
import { temporalConnectOptions, type TemporalTls } from './temporalTls';

export async function probeTemporal(
  server: { address: string; tls?: TemporalTls },
  namespace: string,
  connectTimeoutMs = 5_000,
): Promise<{ serverVersion: string }> {
  const connection = await Connection.connect({ ...temporalConnectOptions(server), connectTimeout: connectTimeoutMs });
  try {
    const info = await connection.workflowService.getSystemInfo({});
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch (err) {
      // gRPC NOT_FOUND (5): the server answers but lacks the namespace; waiting will not help.
      if ((err as { code?: number }).code === 5) throw new FatalProbeError(`namespace "${namespace}" does not exist`);
      throw err;
    }
    return { serverVersion: info.serverVersion ?? 'unknown' };
  } finally {
    await connection.close();
  }
}
