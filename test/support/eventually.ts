/**
 * Polls `probe` until `accept` holds, instead of sleeping a fixed time (as Traefik's `try`
 * helpers do). On timeout, fails with what the last probe saw, so a failing test says why.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 20_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen = lastError instanceof Error ? `error ${lastError.message}` : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}; last seen: ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Asserts that `probe` keeps satisfying `hold` for `durationMs` (e.g. "stays unserved while starting"). */
export async function holdsFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  hold: (value: T) => boolean,
  durationMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + durationMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (!hold(value)) throw new Error(`expected ${what} to hold, but saw ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
