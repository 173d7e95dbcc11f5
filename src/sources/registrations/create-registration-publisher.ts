import type { RegisteredHost, Registrations } from '../../core/registrations/registered-host.js';
import { toRegisteredEndpoints } from '../../core/registrations/to-registered-endpoints.js';
import type { MemberChange, SnapshotStore } from '../../snapshot-store.js';

/** Serves registrations in the store as they become durable. */
export interface RegistrationPublisher {
  /** Serves every registered host now (at start). */
  publishAll(): void;
  /**
   * Serves host `key` of `service` as the durable state has it (or every host of the service,
   * without a key) at the end of this event-loop turn, with every other one marked meanwhile.
   */
  publishSoon(service: string, key?: string): void;
}

/**
 * Serves the durable registrations host by host: each registered host is a member of its own
 * in the store (`api:<service>/<ip>:<port>`), so a change costs what it changes, not what its
 * service holds. What is marked is served once at the end of the turn, for all the changes
 * acknowledged in it (one group-committed write acknowledges many). A request read after an
 * acknowledgement is handled in a later turn, so it sees the change.
 */
export function createRegistrationPublisher(
  store: SnapshotStore,
  durable: () => Registrations,
): RegistrationPublisher {
  /** What the store holds now: per service, each host served, as it was when served. */
  const published = new Map<string, Map<string, RegisteredHost>>();
  /** What to serve at the end of the turn: some hosts of a service, or all of them. */
  const marked = new Map<string, Set<string> | 'all'>();

  const flush = () => {
    const state = durable();
    const changes: MemberChange[] = [];
    for (const [service, keys] of marked) {
      const now = state.get(service);
      const was = published.get(service) ?? new Map<string, RegisteredHost>();
      const candidates = keys === 'all' ? new Set([...was.keys(), ...(now?.keys() ?? [])]) : keys;
      for (const key of candidates) {
        const host = now?.get(key);
        if (host === was.get(key)) continue;
        if (host) was.set(key, host);
        else was.delete(key);
        changes.push([`api:${service}/${key}`, host ? toRegisteredEndpoints(service, [host]) : []]);
      }
      if (was.size === 0) published.delete(service);
      else published.set(service, was);
    }
    marked.clear();
    if (changes.length > 0) store.apply(changes);
  };

  return {
    publishAll() {
      for (const service of durable().keys()) marked.set(service, 'all');
      flush();
    },
    publishSoon(service, key) {
      if (marked.size === 0) setImmediate(flush);
      const keys = marked.get(service);
      if (key === undefined || keys === 'all') marked.set(service, 'all');
      else marked.set(service, (keys ?? new Set<string>()).add(key));
    },
  };
}
