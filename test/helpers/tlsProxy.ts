// A TLS-terminating proxy in front of a plain TCP server (the Temporal dev server has no TLS flags):
// it speaks TLS with ALPN h2 (what gRPC clients ask for), requires a client certificate signed by
// the client CA (mTLS), and pipes each accepted connection to the plain port.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { TestCertificates } from './testCertificates';

export interface TlsProxy {
  port: number;
  /** Client certificate subjects (CN) of the connections the proxy accepted and forwarded. */
  accepted: string[];
  /** Handshakes it refused, with the reason (no client certificate, unknown CA, ...). */
  refused: string[];
  close(): Promise<void>;
}

export async function startTlsProxy(
  certs: TestCertificates,
  target: { host: string; port: number },
): Promise<TlsProxy> {
  const accepted: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      key: fs.readFileSync(certs.serverKey),
      cert: fs.readFileSync(certs.serverCert),
      ca: fs.readFileSync(certs.clientCa),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (clientSide) => {
      accepted.push(String(clientSide.getPeerCertificate().subject?.CN));
      const serverSide = net.connect(target);
      sockets.add(clientSide);
      sockets.add(serverSide);
      clientSide.pipe(serverSide).pipe(clientSide);
      const end = () => {
        clientSide.destroy();
        serverSide.destroy();
      };
      clientSide.on('error', end).on('close', end);
      serverSide.on('error', end).on('close', end);
    },
  );
  server.on('tlsClientError', (err) => refused.push(err.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
