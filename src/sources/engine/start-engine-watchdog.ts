import { setTimeout as sleep } from 'node:timers/promises';

export interface EngineWatchdogOptions {
  /** Resolves when the engine answers; must give up when its signal aborts. */
  readonly ping: (signal: AbortSignal) => Promise<void>;
  readonly intervalMs: number;
  /** A ping not answered within this counts as a failure (a hung engine accepts, then says nothing). */
  readonly timeoutMs: number;
  /** Called when a ping fails after the engine had answered (or at the first failure). */
  readonly onUnresponsive: (reason: string) => void;
  /** Called when the engine answers again after `onUnresponsive`. */
  readonly onResponsive: () => void;
  /** Stops the watchdog. */
  readonly signal: AbortSignal;
}

/**
 * Pings the engine every `intervalMs`, so an engine that stops answering without closing its
 * connections (dockerd stopped with SIGSTOP, or wedged) is noticed: an event stream from it
 * is merely silent. Reports changes only, not every ping.
 */
export function startEngineWatchdog(options: EngineWatchdogOptions): { responsive(): boolean } {
  let responsive = true;
  const { signal } = options;
  // A call, not a property read, so that the check is made afresh after each await.
  const stopped = (): boolean => signal.aborted;
  void (async () => {
    while (!stopped()) {
      try {
        await sleep(options.intervalMs, undefined, { signal });
      } catch {
        return;
      }
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]);
      try {
        await options.ping(deadline);
        if (!responsive) {
          responsive = true;
          options.onResponsive();
        }
      } catch (error) {
        if (stopped()) return;
        if (responsive) {
          responsive = false;
          options.onUnresponsive(
            deadline.aborted
              ? `no answer to a ping within ${options.timeoutMs} ms`
              : error instanceof Error
                ? error.message
                : String(error),
          );
        }
      }
    }
  })();
  return { responsive: () => responsive };
}
