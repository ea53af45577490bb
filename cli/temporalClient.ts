import { Client, Connection } from '@temporalio/client';
import type { ServiceEndpoints } from '../services/embedded';
import { ensureSearchAttributes } from '../services/searchAttributes';
import { describeTemporal, temporalConnectOptions } from '../services/temporalTls';

export interface ConnectedClient {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/** A Temporal client for the given endpoints, with bgbias's search attributes registered. */
export async function connectClient(endpoints: ServiceEndpoints): Promise<ConnectedClient> {
  const { namespace } = endpoints.temporal;
  const connection = await Connection.connect(temporalConnectOptions(endpoints.temporal)).catch((err: Error) => {
    throw new Error(`cannot reach the Temporal server at ${describeTemporal(endpoints.temporal)}: ${err.message}`);
  });
  await ensureSearchAttributes(connection, namespace);
  const client = new Client({ connection, namespace });
  return { client, connection, close: () => connection.close() };
}
