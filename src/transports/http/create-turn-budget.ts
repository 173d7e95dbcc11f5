/** Milliseconds of answers per event-loop turn, REST polls and gRPC responses together. */
export const TURN_BUDGET_MS = 10;

/** Runs work in arrival order, a bounded amount per event-loop turn. */
export interface TurnBudget {
  /** Queues `work`; it runs in a later turn, after everything queued before it. */
  run(work: () => void): void;
  /** Work queued and not yet run. */
  readonly queued: number;
}

/**
 * A queue that runs at most `budgetMs` of work per event-loop turn, then yields. libuv
 * accepts one new connection per turn, and a turn lasts as long as the handlers it runs: with
 * a thousand keep-alive pollers sending back to back, unbounded turns of ~0.4 s left new
 * connections waiting minutes to be accepted. Bounded turns keep accepting every few ms, and
 * since a poller only sends its next request after its answer, only the clients just answered
 * become readable again: the loop stays short by itself. Everyone is served in arrival order,
 * a new client included. `now` is for tests.
 */
export function createTurnBudget(
  budgetMs: number,
  now: () => number = performance.now.bind(performance),
): TurnBudget {
  const queue: (() => void)[] = [];
  let scheduled = false;

  const drain = (): void => {
    const until = now() + budgetMs;
    try {
      do queue.shift()?.();
      while (queue.length > 0 && now() < until);
    } finally {
      // Even if a piece of work threw, the rest of the queue still runs.
      scheduled = queue.length > 0;
      if (scheduled) setImmediate(drain);
    }
  };

  return {
    run(work) {
      queue.push(work);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    },
    get queued() {
      return queue.length;
    },
  };
}
