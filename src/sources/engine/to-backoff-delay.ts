/** Backoff between reconnection attempts: a ceiling doubling from `minTimeout` up to `maxTimeout`. */
export interface RetryTiming {
  readonly minTimeout: number;
  readonly maxTimeout: number;
}

/**
 * How long to wait after the `failedAttempts`-th failure in a row (1 for the first): a
 * ceiling that doubles from `minTimeout` up to `maxTimeout`, and a wait drawn uniformly from
 * its upper half ("equal jitter", `random` in [0, 1)). The jitter stays at the cap, so agents
 * that lost the same engine never retry in lockstep, and neither do a single agent's attempts.
 */
export function toBackoffDelay(
  failedAttempts: number,
  timing: RetryTiming,
  random: number,
): number {
  const doublings = Math.max(0, failedAttempts - 1);
  const ceiling = Math.min(timing.maxTimeout, timing.minTimeout * 2 ** Math.min(doublings, 30));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}
