import pRetry from 'p-retry';
import type { Logger } from 'pino';

import type { ContainerRecord } from '../../core/container-record.js';
import { hasPrefixedLabels } from '../../core/parse-service-labels.js';
import {
  toContainerEndpoints,
  type AddressOptions,
  type ContainerEndpoints,
} from '../../core/to-container-endpoints.js';
import type { MemberChange, SnapshotStore } from '../../snapshot-store.js';
import { createKeyedCoalescer } from './create-keyed-coalescer.js';
import type { DockerClient, EventStream } from './docker-client.js';
import {
  toContainerRecordFromInspect,
  toContainerRecordFromSummary,
} from './to-container-record.js';
import { EVENT_FILTERS, toEventHint } from './to-event-hint.js';

/** Backoff between reconnection attempts; p-retry doubles from `minTimeout` up to `maxTimeout`, with jitter. */
export interface RetryTiming {
  readonly minTimeout: number;
  readonly maxTimeout: number;
}

export interface DockerSourceOptions {
  readonly client: DockerClient;
  readonly store: SnapshotStore;
  readonly address: AddressOptions;
  readonly logger: Logger;
  /** Defaults to 250 ms doubling up to 5 s. */
  readonly retry?: RetryTiming;
}

/** What `/readyz` reports about the source. */
export interface DockerSourceStatus {
  /** A full sync has completed at least once since start. */
  readonly synced: boolean;
  /** Subscribed to the engine's events right now. */
  readonly connected: boolean;
}

export interface DockerSource {
  status(): DockerSourceStatus;
  /** Resolves after the first full sync. */
  readonly firstSync: Promise<void>;
  /** Rejects only on a programming error (the source then stops); never on Docker being down. */
  readonly done: Promise<void>;
  /** Unsubscribes and waits for in-flight re-reads. Endpoints stay in the store. */
  stop(): Promise<void>;
}

interface Watched {
  readonly summary: string;
  readonly warned: string | undefined;
}

/** The name under which this source marks the store synced (see `Snapshot.awaiting`). */
export const DOCKER_SOURCE = 'docker';

const DEFAULT_RETRY: RetryTiming = { minTimeout: 250, maxTimeout: 5000 };

/**
 * Keeps the store in step with one Docker engine, level-triggered:
 * a session subscribes to events, then lists every container once (the full sync); each event
 * only says "read container X again". When the engine goes away the store keeps the last known
 * endpoints; the session is re-established with backoff (the one retry loop) and the full sync
 * repairs anything missed while away.
 */
export function startDockerSource(options: DockerSourceOptions): DockerSource {
  const { client, store, address, logger } = options;
  const retry = options.retry ?? DEFAULT_RETRY;
  const abort = new AbortController();
  const member = (id: string): string => `docker:${id}`;

  /** Existing containers carrying our labels: what was last decided, and the problems last warned of. */
  const watched = new Map<string, Watched>();
  /** Containers that got their stop signal and have not died yet. */
  const stopping = new Set<string>();
  /** During a full sync: containers re-read since it began, whose list entry is then stale. */
  let touchedDuringSync: Set<string> | undefined;
  /** Bumped per session, so a re-read that started in an older session is not applied. */
  let session = 0;
  let events: EventStream | undefined;
  let synced = false;
  let connected = false;
  let resolveFirstSync: () => void = () => undefined;
  const firstSync = new Promise<void>((resolve) => (resolveFirstSync = resolve));

  const reread = createKeyedCoalescer(async (id) => {
    const started = session;
    try {
      const inspect = await client.inspectContainer(id);
      if (started !== session) return;
      const record = inspect && toContainerRecordFromInspect(inspect, stopping.has(id));
      store.apply([decide(id, record)]);
    } catch (error) {
      // The engine is likely going away; the next session's full sync repairs this container.
      logger.warn(
        { container: short(id), err: errorMessage(error) },
        'could not re-read container',
      );
    }
  });

  /** Decides one container's contribution, logs it if it changed, and returns the store change. */
  function decide(id: string, record: ContainerRecord | undefined): MemberChange {
    const outcome: ContainerEndpoints =
      record === undefined ? { kind: 'ignored' } : toContainerEndpoints(record, address);
    const previous = watched.get(id);
    const summary = summarize(outcome);
    if (summary !== previous?.summary) logChange(id, record, outcome, previous);
    // A container is watched while it exists with our labels, stopped or not, so that its
    // warning is given once per container, not once per restart.
    if (record !== undefined && hasPrefixedLabels(record.labels, address.labelPrefix)) {
      const warned =
        outcome.kind === 'invalid'
          ? outcome.problems.join('; ')
          : outcome.kind === 'served'
            ? undefined
            : previous?.warned;
      watched.set(id, { summary, warned });
    } else {
      watched.delete(id);
      stopping.delete(id);
    }
    return [member(id), outcome.kind === 'served' ? outcome.endpoints : []];
  }

  /** Logs what changed for one container: once, at the level the change deserves. */
  function logChange(
    id: string,
    record: ContainerRecord | undefined,
    outcome: ContainerEndpoints,
    previous: Watched | undefined,
  ): void {
    const fields = { container: short(id), name: record?.name };
    const wasServed = previous?.summary.startsWith('served') === true;
    switch (outcome.kind) {
      case 'served':
        for (const note of outcome.notes) logger[note.level](fields, note.message);
        logger.info(
          {
            ...fields,
            endpoints: outcome.endpoints.map(
              (e) =>
                `${e.cluster}=${e.address}:${e.port}${e.health === 'draining' ? ' (draining)' : ''}`,
            ),
          },
          'serving container',
        );
        return;
      case 'invalid': {
        const problems = outcome.problems.join('; ');
        if (problems !== previous?.warned) {
          logger.warn({ ...fields, problems: outcome.problems }, `skipping container: ${problems}`);
        }
        return;
      }
      case 'withheld':
        if (wasServed || outcome.reason !== 'not running') {
          logger.info(
            { ...fields, reason: outcome.reason },
            `withholding container: ${outcome.reason}`,
          );
        }
        return;
      case 'ignored':
        if (wasServed) logger.info(fields, 'container removed');
        return;
    }
  }

  function onEvent(event: Parameters<typeof toEventHint>[0]): void {
    const hint = toEventHint(event, address.labelPrefix);
    if (!hint) return;
    const id = hint.containerId;
    if (!watched.has(id) && hint.labelled !== true) return;
    if (hint.stopping === 'set') stopping.add(id);
    if (hint.stopping === 'clear') stopping.delete(id);
    touchedDuringSync?.add(id);
    reread.schedule(id);
  }

  async function consume(stream: EventStream): Promise<void> {
    try {
      for await (const event of stream) onEvent(event);
    } catch (error) {
      logger.debug({ err: errorMessage(error) }, 'event stream failed');
    }
  }

  /** Lists every running container once and applies it, skipping those re-read meanwhile. */
  async function fullSync(): Promise<void> {
    const summaries = await client.listContainers();
    const listed = new Set<string>();
    const changes: MemberChange[] = [];
    for (const summary of summaries) {
      listed.add(summary.Id);
      if (touchedDuringSync?.has(summary.Id)) continue;
      if (!watched.has(summary.Id) && !hasPrefixedLabels(summary.Labels ?? {}, address.labelPrefix))
        continue;
      changes.push(
        decide(summary.Id, toContainerRecordFromSummary(summary, stopping.has(summary.Id))),
      );
    }
    for (const id of [...watched.keys()]) {
      if (!listed.has(id) && !touchedDuringSync?.has(id)) changes.push(decide(id, undefined));
    }
    const changed = store.apply(changes);
    store.markSynced(DOCKER_SOURCE);
    logger.info({ containers: watched.size, changedClusters: changed }, 'full sync done');
  }

  /** One attempt at a session: subscribe, then sync. Resolves with the session's end. */
  async function connect(): Promise<{ ended: Promise<void> }> {
    session += 1;
    // A stop signal seen in an earlier session may be stale; events of this one set it again.
    stopping.clear();
    const stream = await client.openEvents(EVENT_FILTERS);
    events = stream;
    touchedDuringSync = new Set();
    const ended = consume(stream);
    try {
      await fullSync();
    } catch (error) {
      stream.close();
      await ended;
      throw error;
    } finally {
      touchedDuringSync = undefined;
    }
    return { ended };
  }

  const stopped = (): boolean => abort.signal.aborted;

  async function run(): Promise<void> {
    while (!stopped()) {
      const { ended } = await pRetry(connect, {
        retries: Number.POSITIVE_INFINITY,
        factor: 2,
        minTimeout: retry.minTimeout,
        maxTimeout: retry.maxTimeout,
        randomize: true,
        signal: abort.signal,
        onFailedAttempt: ({ error, attemptNumber }) => {
          logger.warn(
            { attempt: attemptNumber, err: error.message },
            'Docker engine unreachable; serving last known endpoints and retrying',
          );
        },
      });
      connected = true;
      synced = true;
      resolveFirstSync();
      await ended;
      connected = false;
      if (!stopped()) {
        logger.warn('Docker event stream ended; serving last known endpoints and reconnecting');
      }
    }
  }

  const done = run().catch((error: unknown) => {
    if (stopped()) return;
    throw error;
  });

  return {
    status: () => ({ synced, connected }),
    firstSync,
    done,
    async stop() {
      abort.abort();
      events?.close();
      await done.catch(() => undefined);
      await reread.idle();
    },
  };
}

function short(id: string): string {
  return id.slice(0, 12);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function summarize(outcome: ContainerEndpoints): string {
  switch (outcome.kind) {
    case 'served':
      return `served ${JSON.stringify(outcome.endpoints)} ${JSON.stringify(outcome.notes)}`;
    case 'invalid':
      return `invalid ${outcome.problems.join('; ')}`;
    case 'withheld':
      return `withheld ${outcome.reason}`;
    case 'ignored':
      return 'ignored';
  }
}
