import type { Logger } from 'pino';

import {
  applyRegistration,
  expireRegistrations,
  type RegistrationChange,
  type RegistrationOutcome,
} from '../../core/apply-registration.js';
import type { Registrations } from '../../core/registered-host.js';
import { toHostKey } from '../../core/registered-host.js';
import { fail, ok, type Result } from '../../core/result.js';
import { toRegisteredEndpoints } from '../../core/to-registered-endpoints.js';
import type { SnapshotStore } from '../../snapshot-store.js';
import { readStateFile, writeStateFile } from './state-file.js';

/** The name under which this source marks the store synced (see `Snapshot.awaiting`). */
export const REGISTRATION_SOURCE = 'registrations';

export interface RegistrationSourceOptions {
  readonly store: SnapshotStore;
  readonly logger: Logger;
  /** Where registrations are kept across restarts; in memory only when absent. */
  readonly stateFile: string | undefined;
  readonly now?: () => number;
  /** How often TTL hosts are checked for expiry. Defaults to 500 ms. */
  readonly sweepIntervalMs?: number;
}

/** The manual registrations: the second source of endpoints, beside Docker. */
export interface RegistrationSource {
  current(): Registrations;
  /**
   * Applies one change. Changes are applied one at a time; a successful one is written to the
   * state file (when there is one) before the returned promise resolves, so a caller that
   * answers 2xx afterwards never acknowledges what a crash could lose.
   */
  apply(change: RegistrationChange): Promise<RegistrationOutcome>;
  stop(): Promise<void>;
}

/** Loads the state file (an unreadable one is an error, a missing one is empty) and starts serving it. */
export async function startRegistrationSource(
  options: RegistrationSourceOptions,
): Promise<Result<RegistrationSource>> {
  const { store, logger, stateFile } = options;
  const now = options.now ?? Date.now;
  const loaded =
    stateFile === undefined ? ok<Registrations>(new Map()) : await readStateFile(stateFile, now());
  if (!loaded.ok) return fail(loaded.problems);
  let state = loaded.value;
  const member = (service: string) => `api:${service}`;
  store.apply(
    [...state].map(
      ([service, hosts]) => [member(service), toRegisteredEndpoints(service, hosts)] as const,
    ),
  );
  store.markSynced(REGISTRATION_SOURCE);
  if (state.size > 0) logger.info({ services: state.size, stateFile }, 'registrations loaded');

  /** The tail of the queue of changes: each waits for the previous one (and its write). */
  let tail: Promise<unknown> = Promise.resolve();
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  };

  /** Persists `next`, then makes it current and updates the store for `services`. */
  async function commit(next: Registrations, services: string[]): Promise<void> {
    if (stateFile !== undefined) await writeStateFile(stateFile, next);
    state = next;
    store.apply(
      services.map(
        (service) =>
          [member(service), toRegisteredEndpoints(service, state.get(service) ?? [])] as const,
      ),
    );
  }

  const sweep = setInterval(() => {
    void serialized(async () => {
      const { state: next, expired } = expireRegistrations(state, now());
      if (expired.length === 0) return;
      await commit(next, [...new Set(expired.map((e) => e.service))]);
      for (const { service, host } of expired) {
        logger.info(
          { service, host: toHostKey(host) },
          'registered host expired (no heartbeat within its TTL)',
        );
      }
    }).catch((error: unknown) => {
      logger.error({ err: error }, 'could not save the registrations after expiring hosts');
    });
  }, options.sweepIntervalMs ?? 500);
  sweep.unref();

  return ok({
    current: () => state,
    apply: (change) =>
      serialized(async () => {
        const outcome = applyRegistration(state, change);
        if (!outcome.ok) return outcome;
        await commit(outcome.state, [change.service]);
        logger.info(
          { service: change.service, change: change.kind, result: outcome.result },
          'registration changed',
        );
        return outcome;
      }),
    async stop() {
      clearInterval(sweep);
      await tail;
    },
  });
}
