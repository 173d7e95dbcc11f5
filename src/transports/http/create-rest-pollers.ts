import { clipText } from '../../core/clip-text.js';
import type { RestPoller } from '../../status/client-status.js';

/** The REST pollers seen recently, bounded. */
export interface RestPollers {
  record(poll: Omit<RestPoller, 'lastPollAt' | 'polls'>): void;
  /** Those that polled within the last `forgetAfterMs`, the most recent first. */
  list(): RestPoller[];
}

/** The longest list of clusters and the longest claimed version a record keeps. */
const MAX_CLUSTERS_LENGTH = 1024;
const MAX_VERSION_LENGTH = 64;

/**
 * Remembers each (node, API, clusters) subscription's last poll: at most `max` of them (the
 * least recently seen go first), and none not seen for `forgetAfterMs`. What a record keeps of
 * the client is clipped (its node id to 256 characters by the parser, its clusters to 1,024,
 * the version it claims to 64), so a flood of made-up or oversized polls costs at most about
 * 1.5 KB a record, 1.5 MB in all.
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
    record(given) {
      const poll = {
        ...given,
        clusters: clipText(given.clusters, MAX_CLUSTERS_LENGTH),
        acceptedVersion:
          given.acceptedVersion === undefined
            ? undefined
            : clipText(given.acceptedVersion, MAX_VERSION_LENGTH),
      };
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
