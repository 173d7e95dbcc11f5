import type { Logger } from 'pino';

import type { EngineInfo } from '../../core/engine-status.js';
import type { AddressOptions } from '../../core/labels/to-container-endpoints.js';
import type { SnapshotStore } from '../../snapshot-store.js';
import { createContainerLedger } from '../engine/create-container-ledger.js';
import type { DockerClient, EventStream } from '../engine/docker-client.js';
import { createSourceLifecycle, type EngineSource } from '../engine/engine-source.js';
import { errorMessage } from '../engine/error-message.js';
import { startEngineWatchdog } from '../engine/start-engine-watchdog.js';
import type { RetryTiming } from '../engine/to-backoff-delay.js';
import { createContainerSync } from './create-container-sync.js';
import { createNetworkCheck } from './create-network-check.js';
import { EVENT_FILTERS } from './to-event-hint.js';

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

/** Keeps one engine's labelled containers in the store. */
export type DockerSource = EngineSource<DockerSourceStatus>;

/** The name under which this source marks the store synced (see `Snapshot.awaiting`). */
export const DOCKER_SOURCE = 'docker';

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
  const life = createSourceLifecycle(timing.requestTimeoutMs);
  const { deadline } = life;
  const ledger = createContainerLedger({
    address,
    logger,
    kind: 'container',
    members: options.members ?? 'docker:',
    ...(options.skipSwarmTasks === true
      ? { leaveAlone: (labels) => labels[SWARM_TASK_LABEL] !== undefined }
      : {}),
  });
  let engineInfo: EngineInfo | undefined;
  let connected = false;
  const checkNetwork = createNetworkCheck(client, address.network, logger);
  const containers = createContainerSync({
    client,
    store,
    ledger,
    logger,
    deadline,
    connected: () => connected,
    syncName: options.syncName ?? DOCKER_SOURCE,
  });

  async function consume(stream: EventStream): Promise<void> {
    try {
      for await (const event of stream) containers.onEvent(event);
    } catch (error) {
      logger.debug({ err: errorMessage(error) }, 'event stream failed');
    }
  }

  /** One attempt at a session: subscribe, then sync. Resolves with the session's end. */
  async function connect(): Promise<{ ended: Promise<void> }> {
    containers.newSession();
    const engine = await client.describeEngine(deadline());
    engineInfo = engine;
    const stream = await client.openEvents(EVENT_FILTERS, deadline());
    life.following(stream);
    const ended = consume(stream);
    logger.info(
      { engine: engine.product, version: engine.version, apiVersion: engine.apiVersion },
      `following ${engine.product === 'podman' ? 'Podman' : 'Docker'} ${engine.version} (API ${engine.apiVersion})`,
    );
    try {
      await containers.fullSync(engine);
      await checkNetwork(deadline());
    } catch (error) {
      stream.close();
      await ended;
      throw error;
    }
    return { ended };
  }

  const watchdog = startEngineWatchdog({
    ping: (signal) => client.ping(signal),
    intervalMs: timing.pingIntervalMs,
    timeoutMs: timing.pingTimeoutMs,
    signal: life.signal,
    onUnresponsive(reason) {
      if (!connected) return; // already known to be away; the retry loop is on it
      logger.warn(
        { reason },
        'Docker engine stopped answering; serving last known endpoints and reconnecting',
      );
      life.endSession();
    },
    onResponsive() {
      logger.info('Docker engine answers pings again');
    },
  });

  const done = life.run({
    connect,
    retry: timing.retry,
    logger,
    unreachable: 'Docker engine unreachable; serving last known endpoints and retrying',
    ended: 'Docker event stream ended; serving last known endpoints and reconnecting',
    onEstablished() {
      connected = true;
      life.synced();
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

  return {
    status: () => ({
      synced: life.isSynced(),
      connected,
      responsive: watchdog.responsive(),
      engine: engineInfo,
    }),
    watched: () => ledger.entries(),
    withdraw: () => {
      containers.withdraw();
    },
    firstSync: life.firstSync,
    done,
    async stop() {
      await life.stop();
      await containers.idle();
    },
  };
}
