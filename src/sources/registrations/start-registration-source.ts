import type { Logger } from 'pino';

import { toAddressRanges } from '../../core/registrations/address-ranges.js';
import {
  applyRegistration,
  expireRegistrations,
  isHeartbeat,
  type RegistrationChange,
  type RegistrationResult,
} from '../../core/registrations/apply-registration.js';
import {
  checkRegistration,
  DEFAULT_REGISTRATION_LIMITS,
  type RegistrationPolicy,
} from '../../core/registrations/check-registration.js';
import type { Registrations } from '../../core/registrations/registered-host.js';
import { toHostKey } from '../../core/registrations/registered-host.js';
import { fail, ok, type Result } from '../../core/result.js';
import type { SnapshotStore } from '../../snapshot-store.js';
import { createRegistrationPublisher } from './create-registration-publisher.js';
import {
  createMemoryJournal,
  openStateJournal,
  StateFileWriteError,
} from './open-state-journal.js';
import { toChangeLine } from './state-file.js';

/** Most hosts a log line of a change lists by address; the rest are counted. */
const MAX_LOGGED_HOSTS = 10;

/** The hosts a change is about, for its log line: `host`, or `hosts` (the first ten) and their count. */
function toHostFields(change: RegistrationChange): Record<string, unknown> {
  switch (change.kind) {
    case 'put-host':
      return { host: toHostKey(change.host) };
    case 'delete-host':
      return { host: toHostKey(change) };
    case 'create':
    case 'replace':
      return {
        hosts: change.hosts.slice(0, MAX_LOGGED_HOSTS).map(toHostKey),
        hostCount: change.hosts.length,
      };
    case 'delete':
      return {};
  }
}

/** The host a change is about; none for a change of a whole service. */
function hostKeyOf(change: RegistrationChange): string | undefined {
  if (change.kind === 'put-host') return toHostKey(change.host);
  if (change.kind === 'delete-host') return toHostKey(change);
  return undefined;
}

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
  /** What a change must meet besides being well-formed; `DEFAULT_REGISTRATION_POLICY` by default. */
  readonly policy?: RegistrationPolicy;
  /** See `StateJournalOptions.compactAfterBytes`. */
  readonly compactAfterBytes?: number | undefined;
}

/** No range allowed beyond the defaults, no joining Docker's clusters, the default bounds. */
export const DEFAULT_REGISTRATION_POLICY: RegistrationPolicy = {
  allowed: toAddressRanges([]),
  joinDocker: false,
  ...DEFAULT_REGISTRATION_LIMITS,
};

/**
 * Whether Docker's containers serve `service`: some endpoint of its cluster comes from Docker,
 * or its cluster has none at all (kept for its route grace after its last container went).
 */
function isDockerOwned(store: SnapshotStore, service: string): boolean {
  const cluster = store.current().clusters.get(service);
  if (cluster === undefined) return false;
  return cluster.endpoints.length === 0 || cluster.endpoints.some((e) => e.source === 'docker');
}

/** The manual registrations: the second source of endpoints, beside Docker. */
export interface RegistrationSource {
  /** The registrations whose every change is on disk (all of them without a state file). */
  current(): Registrations;
  /**
   * Applies one change, in the order called, to the state with every change before it. A
   * successful one is on disk (when there is a state file) before the returned promise
   * resolves, so a caller that answers 2xx afterwards never acknowledges what a crash could
   * lose; when the write fails, the change is not applied and the result is `not-saved`.
   */
  apply(change: RegistrationChange): Promise<RegistrationResult>;
  stop(): Promise<void>;
}

/**
 * Loads the state file (an unreadable one is an error, a missing one is empty) and starts
 * serving it. Changes are answered, and served, only once they are on disk.
 */
export async function startRegistrationSource(
  options: RegistrationSourceOptions,
): Promise<Result<RegistrationSource>> {
  const { store, logger, stateFile } = options;
  const now = options.now ?? Date.now;
  const policy = options.policy ?? DEFAULT_REGISTRATION_POLICY;
  let journal = createMemoryJournal(logger);
  if (stateFile !== undefined) {
    const opened = await openStateJournal(stateFile, {
      now: now(),
      logger,
      compactAfterBytes: options.compactAfterBytes,
    });
    if (!opened.ok) return fail(opened.problems);
    journal = opened.value.journal;
    if (opened.value.droppedUnfinishedLine)
      logger.warn(
        { stateFile },
        'the state file ended in an unfinished line (a crash mid-write); it was never acknowledged and is left out',
      );
    for (const file of opened.value.removedTemporaryFiles)
      logger.info({ file }, 'removed a temporary file left by an earlier run');
  }
  const publisher = createRegistrationPublisher(store, () => journal.durable);
  publisher.publishAll();
  store.markSynced(REGISTRATION_SOURCE);
  if (journal.durable.size > 0)
    logger.info({ services: journal.durable.size, stateFile }, 'registrations loaded');

  const sweep = setInterval(() => {
    const { state: next, expired } = expireRegistrations(journal.latest, now());
    if (expired.length === 0) return;
    const lines = expired.map(({ service, host }) =>
      toChangeLine({ kind: 'delete-host', service, ipAddress: host.ipAddress, port: host.port }),
    );
    journal.record(lines.join(''), next).then(
      () => {
        for (const { service, host } of expired) publisher.publishSoon(service, toHostKey(host));
        for (const { service, host } of expired) {
          logger.info(
            { service, host: toHostKey(host) },
            'registered host expired (no heartbeat within its TTL)',
          );
        }
      },
      () => undefined, // logged by the journal; the hosts expire again at the next sweep
    );
  }, options.sweepIntervalMs ?? 500);
  sweep.unref();

  return ok({
    current: () => journal.durable,
    async apply(change) {
      const refusal = checkRegistration(change, journal.latest, policy, (service) =>
        isDockerOwned(store, service),
      );
      if (refusal) {
        logger.warn(
          { service: change.service, ...toHostFields(change), change: change.kind, ...refusal },
          'registration refused',
        );
        return { ok: false, ...refusal };
      }
      const heartbeat = isHeartbeat(journal.latest, change);
      const outcome = applyRegistration(journal.latest, change);
      if (!outcome.ok) return outcome;
      try {
        await journal.record(toChangeLine(change), outcome.state);
      } catch (error) {
        // Logged once by the journal, for every change of the failed write.
        if (error instanceof StateFileWriteError)
          return { ok: false, reason: 'not-saved', message: error.message };
        throw error;
      }
      if (!heartbeat) publisher.publishSoon(change.service, hostKeyOf(change));
      logger[heartbeat ? 'debug' : 'info'](
        {
          service: change.service,
          ...toHostFields(change),
          change: change.kind,
          result: outcome.result,
        },
        heartbeat ? 'registered host renewed' : 'registration changed',
      );
      return outcome;
    },
    async stop() {
      clearInterval(sweep);
      await journal.close();
    },
  });
}
