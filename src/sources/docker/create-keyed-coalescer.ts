/**
 * Runs `task(key)` for each scheduled key with at most one run per key in flight. A key scheduled
 * while its task runs is run once more afterwards (however many times it was scheduled), so a
 * burst of events for one container costs at most two re-reads, and the last one is fresh.
 */
export interface KeyedCoalescer {
  schedule(key: string): void;
  /** Resolves when no task is running or queued. */
  idle(): Promise<void>;
}

/** `task` must not reject: it handles its own failures. */
export function createKeyedCoalescer(task: (key: string) => Promise<void>): KeyedCoalescer {
  const again = new Map<string, boolean>();
  const inFlight = new Set<Promise<void>>();

  const drain = async (key: string): Promise<void> => {
    do {
      again.set(key, false);
      await task(key);
    } while (again.get(key) === true);
    again.delete(key);
  };

  return {
    schedule(key) {
      if (again.has(key)) {
        again.set(key, true);
        return;
      }
      const run = drain(key).finally(() => inFlight.delete(run));
      inFlight.add(run);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}
