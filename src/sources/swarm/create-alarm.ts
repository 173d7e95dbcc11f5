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

export function createAlarm(signal: AbortSignal): Alarm {
  let rang = false;
  let wake: (() => void) | undefined;
  return {
    ring() {
      rang = true;
      wake?.();
    },
    wake: () => wake?.(),
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
          wake = undefined;
          resolve();
        }
        wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    },
  };
}
