import {
  type RegisteredHost,
  type Registrations,
  type ServiceHosts,
  toHostKey,
  toServiceHosts,
} from './registered-host.js';

/** A change asked for through the registration API. */
export type RegistrationChange =
  | { readonly kind: 'create'; readonly service: string; readonly hosts: readonly RegisteredHost[] }
  | {
      readonly kind: 'replace';
      readonly service: string;
      readonly hosts: readonly RegisteredHost[];
    }
  | { readonly kind: 'delete'; readonly service: string }
  | { readonly kind: 'put-host'; readonly service: string; readonly host: RegisteredHost }
  | {
      readonly kind: 'delete-host';
      readonly service: string;
      readonly ipAddress: string;
      readonly port: number;
    };

/** The new state and what happened, or why the change does not apply. */
export type RegistrationOutcome =
  | {
      readonly ok: true;
      readonly state: Registrations;
      readonly result: 'created' | 'updated' | 'deleted';
    }
  | { readonly ok: false; readonly reason: 'exists' | 'no-such-service' | 'no-such-host' };

/** Why a well-formed change is refused: the address, the cluster's owner, or a bound. */
export type RegistrationRefusal =
  | { readonly reason: 'address-refused'; readonly message: string }
  | { readonly reason: 'docker-owned'; readonly message: string }
  | { readonly reason: 'over-limit'; readonly message: string }
  | { readonly reason: 'too-large'; readonly message: string };

/**
 * What applying a change through the registration source gives: the outcome, a refusal by
 * the registration policy, or `not-saved` when the state file could not keep it (then
 * nothing was applied; the message says why).
 */
export type RegistrationResult =
  | RegistrationOutcome
  | ({ readonly ok: false } & RegistrationRefusal)
  | { readonly ok: false; readonly reason: 'not-saved'; readonly message: string };

/**
 * Applies one change to the registrations, with the tutorial server's semantics: create fails
 * on an existing service, replace and delete on an unknown one. Putting one host creates its
 * service if needed and replaces a host at the same address in place. Pure: the input is not
 * modified, and a change of one host costs O(log n) (the state is a persistent map).
 */
export function applyRegistration(
  state: Registrations,
  change: RegistrationChange,
): RegistrationOutcome {
  const current = state.get(change.service);
  switch (change.kind) {
    case 'create':
      if (current) return { ok: false, reason: 'exists' };
      return {
        ok: true,
        state: state.set(change.service, toServiceHosts(change.hosts)),
        result: 'created',
      };
    case 'replace':
      if (!current) return { ok: false, reason: 'no-such-service' };
      return {
        ok: true,
        state: state.set(change.service, toServiceHosts(change.hosts)),
        result: 'updated',
      };
    case 'delete':
      if (!current) return { ok: false, reason: 'no-such-service' };
      return { ok: true, state: state.delete(change.service), result: 'deleted' };
    case 'put-host': {
      const key = toHostKey(change.host);
      const hosts: ServiceHosts = current ?? toServiceHosts([]);
      return {
        ok: true,
        state: state.set(change.service, hosts.set(key, change.host)),
        result: hosts.has(key) ? 'updated' : 'created',
      };
    }
    case 'delete-host': {
      if (!current) return { ok: false, reason: 'no-such-service' };
      const key = toHostKey(change);
      if (!current.has(key)) return { ok: false, reason: 'no-such-host' };
      return { ok: true, state: state.set(change.service, current.delete(key)), result: 'deleted' };
    }
  }
}

/**
 * True when `change` only renews a host's deadline: it puts, at the same address, a host that
 * is registered with the same tags and TTL. What Envoy is served does not change, so nothing
 * needs rebuilding and a heartbeat costs O(change). Call it with the state before the change.
 */
export function isHeartbeat(state: Registrations, change: RegistrationChange): boolean {
  if (change.kind !== 'put-host') return false;
  const previous = state.get(change.service)?.get(toHostKey(change.host));
  if (previous === undefined || previous.ttlSeconds !== change.host.ttlSeconds) return false;
  const before = Object.entries(previous.tags);
  const after = change.host.tags;
  return (
    before.length === Object.keys(after).length &&
    before.every(([name, value]) => Object.hasOwn(after, name) && after[name] === value)
  );
}

/**
 * Drops the TTL hosts whose time is up; returns the same state object when none expired. Looks
 * at every host: a few milliseconds for 50,000.
 */
export function expireRegistrations(
  state: Registrations,
  now: number,
): { state: Registrations; expired: { service: string; host: RegisteredHost }[] } {
  const expired: { service: string; host: RegisteredHost }[] = [];
  state.forEach((hosts, service) => {
    hosts.forEach((host) => {
      if (host.expiresAt !== undefined && host.expiresAt <= now) expired.push({ service, host });
    });
  });
  if (expired.length === 0) return { state, expired };
  const next = state.withMutations((mutable) => {
    for (const { service, host } of expired)
      mutable.updateIn([service], (hosts) => (hosts as ServiceHosts).delete(toHostKey(host)));
  });
  return { state: next, expired };
}
