import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Express } from 'express';

/** A listening server. */
export interface HttpServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish, and resolves when every
   * connection is closed. Connections still busy after `graceMs` are cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** Listens on `host:port`; rejects if the address is taken or not available. */
export async function startHttpServer(
  app: Express,
  host: string,
  port: number,
): Promise<HttpServer> {
  const server: Server = app.listen(port, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => Promise.reject(error as Error)),
  ]);
  // Envoy's request_timeout defaults to 1 s; anything slower than this is a stuck client.
  server.requestTimeout = 30_000;
  return {
    port: (server.address() as AddressInfo).port,
    async close(graceMs = 10_000) {
      const closed = new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        server.closeAllConnections();
      }, graceMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
  };
}
