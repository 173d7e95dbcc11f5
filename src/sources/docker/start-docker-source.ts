import type { Logger } from 'pino';

import type { ContainerRecord } from '../../core/container-record.js';
import type { EngineInfo } from '../../core/engine-status.js';
import { hasPrefixedLabels } from '../../core/labels/parse-service-labels.js';
import type { AddressOptions } from '../../core/labels/to-container-endpoints.js';
import type { MemberChange, SnapshotStore } from '../../snapshot-store.js';
import { createContainerLedger, type LedgerEntry } from './create-container-ledger.js';
import { createKeyedCoalescer } from './create-keyed-coalescer.js';
import type { DockerClient, EventStream } from './docker-client.js';
import { errorMessage } from './error-message.js';
import { runSessions } from './run-sessions.js';
import { startEngineWatchdog } from './start-engine-watchdog.js';
import type { RetryTiming } from './to-backoff-delay.js';
import {
  toContainerRecordFromInspect,
  toContainerRecordFromSummary,
} from './to-container-record.js';
import { EVENT_FILTERS, toEventHint } from './to-event-hint.js';

/** The source's clocks; each has a default. */
export interface DockerSourceTiming {
  /** Reconnection backoff. Defaults to 250 ms doubling up to 5 s, with jitter. */
  readonly retry: RetryTiming;
  /** How often the engine is pinged while followed. Defaults to 2 s. */
  readonly pingIntervalMs: number;
  /** A ping slower than this means the engine stopped answering. Defaults to 3 s. */
  readonly pingTimeoutMs: number;
  /** Deadline of each list, inspect or subscribe call. Defaults to 10 s. */
  readonly requestTimeoutMs: number;
}

export interface DockerSourceOptions {
  readonly client: DockerClient;
  readonly store: SnapshotStore;
  readonly address: AddressOptions;
  readonly logger: Logger;
  readonly timing?: Partial<DockerSourceTiming>;
  /**
   * Leave containers of Swarm tasks (label `com.docker.swarm.task.id`) alone: the Swarm
   * source serves them, with their service's labels, and each is served once.
   */
  readonly skipSwarmTasks?: boolean;
  /** The name it marks the store synced under. Defaults to `docker`. */
  readonly syncName?: string;
  /** What its members in the store start with (then the container id). Defaults to `docker:`. */
  readonly members?: string;
  /** Called when a session is established (the engine was read in full), and when one ends or an attempt fails. */
  readonly onConnected?: () => void;
  readonly onDisconnected?: () => void;
}

/** The label Docker puts on the container of a Swarm task. */
export const SWARM_TASK_LABEL = 'com.docker.swarm.task.id';

/** What `/readyz` reports about the source. */
export interface DockerSourceStatus {
  /** A full sync has completed at least once since start. */
  readonly synced: boolean;
  /** Subscribed to the engine's events right now. */
  readonly connected: boolean;
  /** The engine answered its last ping. */
  readonly responsive: boolean;
  /** The engine of the latest session; undefined before the first. */
  readonly engine: EngineInfo | undefined;
}

export interface DockerSource {
  status(): DockerSourceStatus;
  /** Every labelled container the source watches, with what was decided for it. */
  containers(): Iterable<[id: string, entry: LedgerEntry]>;
  /** Resolves after the first full sync. */
  readonly firstSync: Promise<void>;
  /**
   * Rejects with a `DockerUnusableError` when the engine refuses the agent for good, or on a
   * programming error (the source then stops); never because the engine is down.
   */
  readonly done: Promise<void>;
  /**
   * Withdraws every container's endpoints and forgets them (the engine is gone for good, as
   * far as the agent can tell); the next session's full sync serves what it finds again.
   */
  withdraw(): void;
  /** Unsubscribes and waits for in-flight re-reads. Endpoints stay in the store. */
  stop(): Promise<void>;
}

/** The name under which this source marks the store synced (see `Snapshot.awaiting`). */
export const DOCKER_SOURCE = 'docker';

/** How many inspects a Podman full sync has in flight at once. */
const INSPECTS_AT_ONCE = 8;

const DEFAULT_TIMING: DockerSourceTiming = {
  retry: { minTimeout: 250, maxTimeout: 5000 },
  pingIntervalMs: 2000,
  pingTimeoutMs: 3000,
  requestTimeoutMs: 10_000,
};

/**
 * Keeps the store in step with one Docker engine, level-triggered: a session subscribes to
 * events, then lists every container once (the full sync); an event only says "read container
 * X again", except that `die`, `stop` and `destroy` are taken at their word at once (the
 * container is not running; a re-read confirms), since the engine may be going away and unable
 * to answer. When the engine goes away or stops answering pings, the store keeps the last
 * known endpoints; the session is re-established with backoff (the one retry loop) and the full
 * sync repairs anything missed meanwhile.
 */
export function startDockerSource(options: DockerSourceOptions): DockerSource {
  const { client, store, address, logger } = options;
  const timing = { ...DEFAULT_TIMING, ...options.timing };
  const abort = new AbortController();
  const stopped = (): boolean => abort.signal.aborted;
  /** A deadline for one engine call, also cut by `stop()`. */
  const deadline = (): AbortSignal =>
    AbortSignal.any([abort.signal, AbortSignal.timeout(timing.requestTimeoutMs)]);

  const ledger = createContainerLedger(address, logger, 'container', options.members ?? 'docker:');
  /** Containers that got their stop signal and have not died yet. */
  const stopping = new Set<string>();
  /** Bumped when an event settles a container, so a re-read begun before it is not applied. */
  const generations = new Map<string, number>();
  /** During a full sync: containers re-read since it began, whose list entry is then stale. */
  let touchedDuringSync: Set<string> | undefined;
  /** Bumped per session, so a re-read that started in an older session is not applied. */
  let session = 0;
  let events: EventStream | undefined;
  let engineInfo: EngineInfo | undefined;
  let synced = false;
  let connected = false;
  let networkMissing = false;
  let resolveFirstSync: () => void = () => undefined;
  const firstSync = new Promise<void>((resolve) => (resolveFirstSync = resolve));

  /** Applies one container's new record, forgetting its stop mark once it is no longer watched. */
  const isSwarmTask = (labels: Readonly<Record<string, string>> | null | undefined) =>
    options.skipSwarmTasks === true && labels?.[SWARM_TASK_LABEL] !== undefined;
  const apply = (id: string, record: ContainerRecord | undefined): MemberChange => {
    const change = ledger.decide(id, isSwarmTask(record?.labels) ? undefined : record);
    if (!ledger.has(id)) stopping.delete(id);
    return change;
  };

  const reread = createKeyedCoalescer(async (id) => {
    const started = { session, generation: generations.get(id) ?? 0 };
    try {
      const inspect = await client.inspectContainer(id, deadline());
      if (started.session !== session || started.generation !== (generations.get(id) ?? 0)) return;
      const record = inspect && toContainerRecordFromInspect(inspect, stopping.has(id));
      store.applySoon([apply(id, record)]);
    } catch (error) {
      // The engine is likely going away; the next session's full sync repairs this container.
      const level = connected && started.session === session ? 'warn' : 'debug';
      logger[level](
        { container: id.slice(0, 12), err: errorMessage(error) },
        'could not re-read container',
      );
    }
  });

  function onEvent(event: Parameters<typeof toEventHint>[0]): void {
    const hint = toEventHint(event, address.labelPrefix);
    if (!hint) return;
    const id = hint.containerId;
    if (!ledger.has(id) && hint.labelled !== true) return;
    if (hint.stopping === 'set') stopping.add(id);
    if (hint.stopping === 'clear') stopping.delete(id);
    touchedDuringSync?.add(id);
    const last = ledger.lastRecord(id);
    if (hint.ended && last !== undefined) {
      generations.set(id, (generations.get(id) ?? 0) + 1);
      store.applySoon([apply(id, { ...last, state: 'not-running', stopping: false })]);
    }
    reread.schedule(id);
  }

  async function consume(stream: EventStream): Promise<void> {
    try {
      for await (const event of stream) onEvent(event);
    } catch (error) {
      logger.debug({ err: errorMessage(error) }, 'event stream failed');
    }
  }

  /**
   * Lists every running container once and applies it, skipping those re-read meanwhile.
   * Podman's list carries no health, so there each labelled container is inspected instead.
   */
  async function fullSync(engine: EngineInfo): Promise<void> {
    const summaries = await client.listContainers(deadline());
    const listed = new Set(summaries.map((summary) => summary.Id));
    const relevant = summaries.filter(
      (summary) =>
        ledger.has(summary.Id) ||
        (hasPrefixedLabels(summary.Labels ?? {}, address.labelPrefix) &&
          !isSwarmTask(summary.Labels)),
    );
    const records: [string, ContainerRecord | undefined][] =
      engine.product === 'podman'
        ? await inspectEach(relevant.map((summary) => summary.Id))
        : relevant.map((summary) => [
            summary.Id,
            toContainerRecordFromSummary(summary, stopping.has(summary.Id)),
          ]);
    const changes: MemberChange[] = [];
    for (const [id, record] of records) {
      if (!touchedDuringSync?.has(id)) changes.push(apply(id, record));
    }
    for (const id of ledger.ids()) {
      if (!listed.has(id) && !touchedDuringSync?.has(id)) changes.push(apply(id, undefined));
    }
    const changed = store.apply(changes);
    store.markSynced(options.syncName ?? DOCKER_SOURCE);
    logger.info({ containers: ledger.ids().length, changedClusters: changed }, 'full sync done');
  }

  /** Inspects containers a few at a time; one that is gone meanwhile reads as `undefined`. */
  async function inspectEach(ids: string[]): Promise<[string, ContainerRecord | undefined][]> {
    const read: [string, ContainerRecord | undefined][] = [];
    for (let i = 0; i < ids.length; i += INSPECTS_AT_ONCE) {
      const batch = ids.slice(i, i + INSPECTS_AT_ONCE);
      const inspects = await Promise.all(
        batch.map((id) => client.inspectContainer(id, deadline())),
      );
      batch.forEach((id, j) => {
        const inspect = inspects[j];
        read.push([id, inspect && toContainerRecordFromInspect(inspect, stopping.has(id))]);
      });
    }
    return read;
  }

  /** `--network` names a network the containers' addresses come from: say when it does not exist. */
  async function checkNetwork(): Promise<void> {
    if (address.network === undefined) return;
    const missing = !(await client.listNetworkNames(deadline())).includes(address.network);
    if (missing && !networkMissing) {
      logger.warn(
        { network: address.network },
        `--network ${address.network}: the Docker engine has no such network (yet); containers not on it are served at their first network`,
      );
    } else if (!missing && networkMissing) {
      logger.info({ network: address.network }, `--network ${address.network} now exists`);
    }
    networkMissing = missing;
  }

  /** One attempt at a session: subscribe, then sync. Resolves with the session's end. */
  async function connect(): Promise<{ ended: Promise<void> }> {
    session += 1;
    // A stop signal seen in an earlier session may be stale; events of this one set it again.
    stopping.clear();
    const engine = await client.describeEngine(deadline());
    engineInfo = engine;
    const stream = await client.openEvents(EVENT_FILTERS, deadline());
    events = stream;
    touchedDuringSync = new Set();
    const ended = consume(stream);
    logger.info(
      { engine: engine.product, version: engine.version, apiVersion: engine.apiVersion },
      `following ${engine.product === 'podman' ? 'Podman' : 'Docker'} ${engine.version} (API ${engine.apiVersion})`,
    );
    try {
      await fullSync(engine);
      await checkNetwork();
    } catch (error) {
      stream.close();
      await ended;
      throw error;
    } finally {
      touchedDuringSync = undefined;
    }
    return { ended };
  }

  const watchdog = startEngineWatchdog({
    ping: (signal) => client.ping(signal),
    intervalMs: timing.pingIntervalMs,
    timeoutMs: timing.pingTimeoutMs,
    signal: abort.signal,
    onUnresponsive(reason) {
      if (!connected) return; // already known to be away; the retry loop is on it
      logger.warn(
        { reason },
        'Docker engine stopped answering; serving last known endpoints and reconnecting',
      );
      events?.close();
    },
    onResponsive() {
      logger.info('Docker engine answers pings again');
    },
  });

  const run = () =>
    runSessions({
      connect,
      retry: timing.retry,
      signal: abort.signal,
      logger,
      unreachable: 'Docker engine unreachable; serving last known endpoints and retrying',
      ended: 'Docker event stream ended; serving last known endpoints and reconnecting',
      onEstablished() {
        connected = true;
        synced = true;
        resolveFirstSync();
        options.onConnected?.();
      },
      onEnded() {
        connected = false;
        options.onDisconnected?.();
      },
      onAttemptFailed() {
        options.onDisconnected?.();
      },
    });

  const done = run().catch((error: unknown) => {
    if (stopped()) return;
    throw error;
  });

  return {
    status: () => ({ synced, connected, responsive: watchdog.responsive(), engine: engineInfo }),
    containers: () => ledger.entries(),
    withdraw() {
      session += 1; // a re-read in flight is not applied
      store.apply(ledger.ids().map((id) => apply(id, undefined)));
    },
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
