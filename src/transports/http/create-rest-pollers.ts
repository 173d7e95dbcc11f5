import type { RestPoller } from '../../status/client-status.js';

/** The REST pollers seen recently, bounded. */
export interface RestPollers {
  record(poll: Omit<RestPoller, 'lastPollAt' | 'polls'>): void;
  /** Those that polled within the last `forgetAfterMs`, the most recent first. */
  list(): RestPoller[];
}

/**
 * Remembers each (node, API, clusters) subscription's last poll: at most `max` of them (the
 * least recently seen go first), and none not seen for `forgetAfterMs`, so a flood of made-up
 * node ids costs a bounded amount of memory.
 */
export function createRestPollers({
  max = 1000,
  forgetAfterMs = 10 * 60_000,
  now = Date.now,
}: { max?: number; forgetAfterMs?: number; now?: () => number } = {}): RestPollers {
  /** Updated in place at every poll (polls come by thousands a second), made into status at `list`. */
  interface Entry {
    poll: Omit<RestPoller, 'lastPollAt' | 'polls'>;
    at: number;
    polls: number;
  }
  const pollers = new Map<string, Entry>();
  return {
    record(poll) {
      const key = `${poll.node}\0${poll.api}\0${poll.clusters}`;
      const entry = pollers.get(key) ?? { poll, at: 0, polls: 0 };
      pollers.delete(key); // re-inserted last: the Map's order is the order of recency
      entry.poll = poll;
      entry.at = now();
      entry.polls += 1;
      pollers.set(key, entry);
      if (pollers.size > max) pollers.delete(pollers.keys().next().value ?? '');
    },
    list() {
      const cutoff = now() - forgetAfterMs;
      for (const [key, { at }] of pollers) {
        if (at >= cutoff) break;
        pollers.delete(key);
      }
      return [...pollers.values()]
        .map(({ poll, at, polls }) => ({ ...poll, lastPollAt: new Date(at).toISOString(), polls }))
        .reverse();
    },
  };
}
