import { fail, ok, type Result } from '../../core/result.js';

/**
 * How many streams may be open at once: in all, and per client address. (Per connection, the
 * server's HTTP/2 settings say: a client waits for a stream to end before it opens one more.)
 */
export interface StreamLimitOptions {
  readonly max: number;
  readonly perPeer: number;
}

/** The open streams, counted so that no one client can take them all. */
export interface StreamLimits {
  /**
   * Admits a stream from `peer` (as grpc-js names it: `ipv4:10.0.0.5:41234`, `ipv6:[::1]:5000`),
   * returning the function that releases it, or the limit it would break.
   */
  admit(peer: string): Result<() => void>;
  /** Streams open now. */
  readonly open: number;
}

/**
 * Counts open streams in all and per client address (the peer without its port), and refuses
 * one more beyond either, saying which: one client opening streams on many connections still
 * gets no more than its address's share, so a new client always finds room.
 */
export function createStreamLimits(limits: StreamLimitOptions): StreamLimits {
  const byAddress = new Map<string, number>();
  let open = 0;
  const add = (map: Map<string, number>, key: string, delta: number) => {
    const count = (map.get(key) ?? 0) + delta;
    if (count === 0) map.delete(key);
    else map.set(key, count);
  };
  return {
    admit(peer) {
      const address = toPeerAddress(peer);
      if (open >= limits.max)
        return fail([`eds-agent serves at most ${limits.max} streams at once`]);
      if ((byAddress.get(address) ?? 0) >= limits.perPeer)
        return fail([
          `eds-agent serves at most ${limits.perPeer} streams per client address (${address})`,
        ]);
      open += 1;
      add(byAddress, address, 1);
      let released = false;
      return ok(() => {
        if (released) return;
        released = true;
        open -= 1;
        add(byAddress, address, -1);
      });
    },
    get open() {
      return open;
    },
  };
}

/**
 * The client address of a grpc-js peer, which is `<address>:<port>` (`10.0.0.5:41234`,
 * `::1:5000`), or in the URI form (`ipv4:10.0.0.5:41234`, `ipv6:[::1]:5000`). An IPv4 client of
 * a dual-stack socket (`::ffff:10.0.0.5`) is its IPv4 address. Anything else is kept whole.
 */
export function toPeerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const address = /^\[?(.*?)\]?:\d+$/.exec(bare)?.[1] ?? bare;
  return address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}
