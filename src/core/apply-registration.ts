import type { RegisteredHost, Registrations } from './registered-host.js';
import { toHostKey } from './registered-host.js';

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

/**
 * What applying a change through the registration source gives: the outcome, or `not-saved`
 * when the state file could not keep it (then nothing was applied; the message says why).
 */
export type RegistrationResult =
  | RegistrationOutcome
  | { readonly ok: false; readonly reason: 'not-saved'; readonly message: string };

/**
 * Applies one change to the registrations, with the tutorial server's semantics: create fails
 * on an existing service, replace and delete on an unknown one. Putting one host creates its
 * service if needed and replaces a host at the same address. Pure: the input is not modified.
 */
export function applyRegistration(
  state: Registrations,
  change: RegistrationChange,
): RegistrationOutcome {
  const current = state.get(change.service);
  const next = new Map(state);
  switch (change.kind) {
    case 'create':
      if (current) return { ok: false, reason: 'exists' };
      next.set(change.service, change.hosts);
      return { ok: true, state: next, result: 'created' };
    case 'replace':
      if (!current) return { ok: false, reason: 'no-such-service' };
      next.set(change.service, change.hosts);
      return { ok: true, state: next, result: 'updated' };
    case 'delete':
      if (!current) return { ok: false, reason: 'no-such-service' };
      next.delete(change.service);
      return { ok: true, state: next, result: 'deleted' };
    case 'put-host': {
      const key = toHostKey(change.host);
      const hosts = current ?? [];
      const index = hosts.findIndex((host) => toHostKey(host) === key);
      next.set(
        change.service,
        index < 0 ? [...hosts, change.host] : hosts.map((h, i) => (i === index ? change.host : h)),
      );
      return { ok: true, state: next, result: index < 0 ? 'created' : 'updated' };
    }
    case 'delete-host': {
      if (!current) return { ok: false, reason: 'no-such-service' };
      const key = toHostKey(change);
      const hosts = current.filter((host) => toHostKey(host) !== key);
      if (hosts.length === current.length) return { ok: false, reason: 'no-such-host' };
      next.set(change.service, hosts);
      return { ok: true, state: next, result: 'deleted' };
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
  const key = toHostKey(change.host);
  const previous = state.get(change.service)?.find((host) => toHostKey(host) === key);
  if (previous === undefined || previous.ttlSeconds !== change.host.ttlSeconds) return false;
  const before = Object.entries(previous.tags);
  const after = change.host.tags;
  return (
    before.length === Object.keys(after).length &&
    before.every(([name, value]) => Object.hasOwn(after, name) && after[name] === value)
  );
}

/** Drops the TTL hosts whose time is up; returns the same state object when none expired. */
export function expireRegistrations(
  state: Registrations,
  now: number,
): { state: Registrations; expired: { service: string; host: RegisteredHost }[] } {
  const expired: { service: string; host: RegisteredHost }[] = [];
  const next = new Map(state);
  for (const [service, hosts] of state) {
    const alive = hosts.filter((host) => host.expiresAt === undefined || host.expiresAt > now);
    if (alive.length === hosts.length) continue;
    for (const host of hosts) if (!alive.includes(host)) expired.push({ service, host });
    next.set(service, alive);
  }
  return { state: expired.length > 0 ? next : state, expired };
}
