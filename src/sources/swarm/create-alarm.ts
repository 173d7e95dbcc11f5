/** A nap between reconciles that an event cuts short. */
export interface Alarm {
  /** An event came: the current nap ends, and the next one does not begin until `reset()`. */
  ring(): void;
  /** Ends the current nap with no event (the session ended). */
  wake(): void;
  /** Whether an event came since the last `reset()`. */
  rang(): boolean;
  reset(): void;
  /** Resolves after `ms`, or at once when an event came meanwhile or `signal` aborts. */
  nap(ms: number): Promise<void>;
}

/** An alarm whose naps also end when `signal` aborts (the source stops). */
export function createAlarm(signal: AbortSignal): Alarm {
  let rang = false;
  /** Ends the nap in progress, if any. */
  let endNap: (() => void) | undefined;
  return {
    ring() {
      rang = true;
      endNap?.();
    },
    wake() {
      endNap?.();
    },
    rang: () => rang,
    reset() {
      rang = false;
    },
    nap(ms) {
      if (rang) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          endNap = undefined;
          resolve();
        }
        endNap = done;
        signal.addEventListener('abort', done, { once: true });
      });
    },
  };
}
