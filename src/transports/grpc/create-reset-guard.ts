/**
 * Counts, per client address, the streams its client reset before sending a request (HTTP/2
 * "rapid reset": open a stream, cancel it, again, thousands a second, each costing the
 * server a handler and nothing to the client). `note` says when an address went over `max`
 * within `windowMs`: then its connections are to be cut. Envoy and gRPC clients cancel a stream
 * they opened now and then, never hundreds a second.
 */
export interface ResetGuard {
  /**
   * One stream of `address` reset before its first request: `over` when the address is over
   * its bound in this window, `first` on the stream that took it over (to say so once).
   */
  note(address: string): { over: boolean; first: boolean };
}

/** Addresses kept at once; beyond, those whose window has passed are forgotten. */
const MAX_TRACKED_ADDRESSES = 10_000;

export function createResetGuard({
  max,
  windowMs,
  now = Date.now,
}: {
  max: number;
  windowMs: number;
  now?: () => number;
}): ResetGuard {
  const windows = new Map<string, { start: number; count: number }>();
  const forgetPassed = (at: number) => {
    for (const [address, window] of windows)
      if (at - window.start > windowMs) windows.delete(address);
  };
  return {
    note(address) {
      const at = now();
      let window = windows.get(address);
      if (window === undefined || at - window.start > windowMs) {
        if (window === undefined && windows.size >= MAX_TRACKED_ADDRESSES) forgetPassed(at);
        window = { start: at, count: 0 };
        windows.set(address, window);
      }
      window.count += 1;
      return { over: window.count > max, first: window.count === max + 1 };
    },
  };
}
