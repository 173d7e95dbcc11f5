import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Below Linux's ephemeral range (32768-60999), which the kernel and Docker draw ports from. */
const RESERVED_RANGE = { min: 20_000, max: 29_999 };

/**
 * A TCP port on 127.0.0.1 that nothing listens on now, below the ephemeral range: for a port
 * a test binds again and again (Envoy's front door, one Envoy after another), which a port the
 * kernel hands out (a connection's, `freeLoopbackPort`'s) or Docker publishes could otherwise
 * take between two binds.
 */
export async function freeReservedPort(): Promise<number> {
  for (;;) {
    const port =
      RESERVED_RANGE.min + Math.floor(Math.random() * (RESERVED_RANGE.max - RESERVED_RANGE.min));
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => {
        resolve(false);
      });
      server.listen(port, '127.0.0.1', () => {
        resolve(true);
      });
    });
    if (bound) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
}
