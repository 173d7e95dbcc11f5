/** Milliseconds of answers per event-loop turn, REST polls and gRPC responses together. */
export const TURN_BUDGET_MS = 10;

/**
 * A request this large is bulk work: decoding it alone takes milliseconds (10,000 names, a
 * 1 MB node id), where an Envoy's request is a few KiB.
 */
export const BULK_REQUEST_BYTES = 64 * 1024;

/** Runs work a bounded amount per event-loop turn, new work and bulk work in turns of their own. */
export interface TurnBudget {
  /**
   * Queues `work`, which answers a request of `requestBytes` (none by default); it runs in a
   * later turn, after the new work queued before it. From `BULK_REQUEST_BYTES` on, it is
   * bulk work, as `continue` queues.
   */
  run(work: () => void, requestBytes?: number): void;
  /**
   * Queues bulk work, such as the next step of long work (a large answer built a slice at a
   * time): bulk work runs round robin, in every other turn while new work waits.
   */
  continue(step: () => void): void;
  /**
   * Runs `work` at once when called from work this budget is running and its turn has time
   * left (a request's handling starting its answer); otherwise queues it as new work.
   */
  runInThisTurn(work: () => void): void;
  /** Work and steps queued and not yet run. */
  readonly queued: number;
}

/**
 * Two queues that run at most `budgetMs` of work per event-loop turn, then yield. libuv
 * accepts one new connection per turn, and a turn lasts as long as the handlers it runs: with
 * a thousand keep-alive pollers sending back to back, unbounded turns of ~0.4 s left new
 * connections waiting minutes to be accepted. Bounded turns keep accepting every few ms, and
 * since a poller only sends its next request after its answer, only the clients just answered
 * become readable again: the loop stays short by itself.
 *
 * Each turn runs one lane. New work (a poll, a request, the first slice of an answer) runs in
 * arrival order; bulk work (large requests, the later slices of large answers) round robin.
 * While both wait, turns alternate, so new work waits at most one bulk turn whatever is being
 * built, and bulk work is never starved. A turn of new work ends before any bulk work runs,
 * so the answers it wrote are flushed first: under a flood of 1 MB requests, sharing turns
 * held those answers back by up to 31 ms. `now` is for tests.
 */
export function createTurnBudget(
  budgetMs: number,
  now: () => number = performance.now.bind(performance),
): TurnBudget {
  const fresh: (() => void)[] = [];
  const steps: (() => void)[] = [];
  let scheduled = false;
  let lastTurnWasFresh = false;
  /** While a turn runs: when its budget is spent. */
  let turnEnds: number | undefined;

  const drain = (): void => {
    const lane = fresh.length > 0 && (steps.length === 0 || !lastTurnWasFresh) ? fresh : steps;
    lastTurnWasFresh = lane === fresh;
    const until = now() + budgetMs;
    turnEnds = until;
    try {
      while (lane.length > 0 && now() < until) lane.shift()?.();
    } finally {
      turnEnds = undefined;
      // Even if a piece of work threw, the rest of the queues still runs.
      scheduled = fresh.length + steps.length > 0;
      if (scheduled) setImmediate(drain);
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(drain);
  };

  return {
    run(work, requestBytes = 0) {
      (requestBytes < BULK_REQUEST_BYTES ? fresh : steps).push(work);
      schedule();
    },
    runInThisTurn(work) {
      if (turnEnds !== undefined && now() < turnEnds) work();
      else this.run(work);
    },
    continue(step) {
      steps.push(step);
      schedule();
    },
    get queued() {
      return fresh.length + steps.length;
    },
  };
}
