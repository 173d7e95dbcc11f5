import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';

import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { fail, ok, type Result } from '../../core/result.js';
import { toPeerAddress } from './create-stream-limits.js';

/** A listening socket that hands the gRPC server its connections. */
export interface ConnectionListener {
  readonly port: number;
  /** Closes every connection of `address` at once (its client misbehaves). */
  cut(address: string): void;
  /** Stops accepting; the gRPC server's shutdown closes what was handed over. */
  close(): Promise<void>;
}

/** Addresses remembered as warned of; beyond, the memory starts afresh (a warning may repeat). */
const MAX_WARNED_ADDRESSES = 10_000;

/**
 * Listens on `host:port` and hands each connection to `grpcServer` (grpc-js's connection
 * injector, which runs TLS when `credentials` ask for it), except that one client address may
 * have at most `perAddress` connections open at once: one more is closed as it is accepted,
 * before its handshake costs anything, and warned of once per address. Streams are bounded
 * per address too (`createStreamLimits`); this bounds what a flood of idle connections, each
 * an HTTP/2 session with its buffers, can take.
 */
export async function listenWithConnectionLimit(
  grpcServer: grpc.Server,
  credentials: grpc.ServerCredentials,
  { host, port, perAddress }: { host: string; port: number; perAddress: number },
  logger: Logger,
): Promise<Result<ConnectionListener>> {
  const injector = grpcServer.createConnectionInjector(credentials);
  const open = new Map<string, Set<Socket>>();
  const warned = new Set<string>();
  const listener = createServer({ noDelay: true }, (socket: Socket) => {
    const address = toPeerAddress(`${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`);
    const sockets = open.get(address) ?? new Set<Socket>();
    if (sockets.size >= perAddress) {
      if (!warned.has(address)) {
        if (warned.size >= MAX_WARNED_ADDRESSES) warned.clear();
        warned.add(address);
        logger.warn(
          { client: address, limit: perAddress },
          `refused a gRPC connection: ${address} holds ${perAddress} already (--grpc-max-connections-per-peer); more are refused without a word`,
        );
      }
      socket.destroy();
      return;
    }
    sockets.add(socket);
    open.set(address, sockets);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0 && open.get(address) === sockets) open.delete(address);
    });
    injector.injectConnection(socket);
  });
  listener.listen(port, host);
  try {
    await Promise.race([
      once(listener, 'listening'),
      once(listener, 'error').then(([error]) => Promise.reject(error as Error)),
    ]);
  } catch (error) {
    return fail([`--grpc-port ${port}: cannot listen on ${host} (${(error as Error).message})`]);
  }
  const bound = listener.address();
  return ok({
    port: typeof bound === 'object' && bound !== null ? bound.port : port,
    cut(address) {
      for (const socket of open.get(address) ?? []) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        listener.close(() => {
          resolve();
        });
      }),
  });
}
