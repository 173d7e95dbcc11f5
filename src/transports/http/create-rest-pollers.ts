/** One Envoy subscription polling over REST, as `/status` shows it. */
export interface RestPoller {
  readonly node: string;
  readonly api: string;
  /** The clusters the poll asked for, comma-separated (`*` for all). */
  readonly clusters: string;
  readonly lastPollAt: string;
  /** The version the client said it holds (`version_info`); undefined on a first poll. */
  readonly acceptedVersion: string | undefined;
  /** What it was answered: a version, `304` or `503`. */
  readonly answer: string;
  readonly polls: number;
}

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
  const pollers = new Map<string, { poller: RestPoller; at: number }>();
  return {
    record(poll) {
      const key = `${poll.node}\0${poll.api}\0${poll.clusters}`;
      const previous = pollers.get(key);
      pollers.delete(key); // re-inserted last: the Map's order is the order of recency
      const at = now();
      pollers.set(key, {
        at,
        poller: {
          ...poll,
          lastPollAt: new Date(at).toISOString(),
          polls: (previous?.poller.polls ?? 0) + 1,
        },
      });
      if (pollers.size > max) pollers.delete(pollers.keys().next().value ?? '');
    },
    list() {
      const cutoff = now() - forgetAfterMs;
      for (const [key, { at }] of pollers) {
        if (at >= cutoff) break;
        pollers.delete(key);
      }
      return [...pollers.values()].map(({ poller }) => poller).reverse();
    },
  };
}
