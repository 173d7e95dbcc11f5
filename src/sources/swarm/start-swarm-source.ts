import { setTimeout as sleep } from 'node:timers/promises';

import type { Logger } from 'pino';

import type { AddressOptions } from '../../core/labels/to-container-endpoints.js';
import type { SnapshotStore } from '../../snapshot-store.js';
import { createContainerLedger } from '../engine/create-container-ledger.js';
import type { DockerClient, EventStream } from '../engine/docker-client.js';
import {
  createSourceLifecycle,
  type EngineSource,
  type SourceLifecycle,
} from '../engine/engine-source.js';
import { errorMessage } from '../engine/error-message.js';
import type { RetryTiming } from '../engine/to-backoff-delay.js';
import { type Alarm, createAlarm } from './create-alarm.js';
import { createIngressWarner } from './create-ingress-warner.js';
import { readSwarm } from './read-swarm.js';

/** `auto`: follow the Swarm when the engine is one of its managers; `on`: expect it to be. */
export type SwarmMode = 'auto' | 'on';

/** The source's clocks; each has a default. */
export interface SwarmSourceTiming {
  /** Between reconciles while nothing moves. Defaults to 5 s (`--swarm-resync`). */
  readonly resyncMs: number;
  /** Between reconciles while a service updates or a task is on its way. Defaults to 250 ms. */
  readonly convergingMs: number;
  /**
   * After a reconcile that an event triggered and that found the Swarm on the move, the next
   * comes this soon: the orchestrator acts on a change a moment after its event (creates the
   * tasks of a scale-up, asks those of a scale-down to stop). Defaults to 50 ms.
   */
  readonly followUpMs: number;
  /** Reconnection backoff. Defaults to 250 ms doubling up to 5 s, with jitter. */
  readonly retry: RetryTiming;
  /** Deadline of each call. Defaults to 10 s. */
  readonly requestTimeoutMs: number;
}

export interface SwarmSourceOptions {
  readonly client: DockerClient;
  readonly store: SnapshotStore;
  readonly address: AddressOptions;
  readonly logger: Logger;
  readonly mode: SwarmMode;
  readonly timing?: Partial<SwarmSourceTiming>;
  /** The name it marks the store synced under. Defaults to `swarm`. */
  readonly syncName?: string;
  /** What its members in the store start with (then the task id). Defaults to `swarm:`. */
  readonly members?: string;
}

/** What `/readyz` and `/status` report about the source. */
export interface SwarmSourceStatus {
  /** A reconcile (or the finding that the engine is no manager) has completed since start. */
  readonly synced: boolean;
  /** The engine is a Swarm manager, followed right now. */
  readonly active: boolean;
}

/** Keeps one engine's Swarm's labelled tasks in the store. */
export type SwarmSource = EngineSource<SwarmSourceStatus>;

/** The name under which this source marks the store synced (see `Snapshot.awaiting`). */
export const SWARM_SOURCE = 'swarm';

/** The engine-side filter for the Swarm's events: its services and nodes (there are no task events). */
const SWARM_EVENT_FILTERS = { type: ['service', 'node'] } as const;

const DEFAULT_TIMING: SwarmSourceTiming = {
  resyncMs: 5000,
  convergingMs: 250,
  followUpMs: 50,
  retry: { minTimeout: 250, maxTimeout: 5000 },
  requestTimeoutMs: 10_000,
};

/**
 * Keeps the store in step with a Swarm's labelled services, level-triggered: each reconcile
 * reads the whole Swarm in three calls (services, tasks, nodes), whatever its size, and makes
 * every running task of a labelled service an endpoint, as a container with the task's and
 * its service's labels would be. Docker sends no task events, so a service or node event
 * triggers a reconcile at once, and one more `followUpMs` later if it found anything on the
 * move; while anything is (a service updating or just scaled, a task starting or being
 * stopped) the next comes within `convergingMs`, otherwise within
 * `resyncMs`. A task asked to stop is served draining at its first reconcile, which comes
 * before Swarm stops it. Every session (and so every reconnect) starts with a reconcile,
 * since the event buffer replays little. When the engine is not a manager there is nothing to
 * follow: the source withdraws what it served, counts as synced, and looks again every
 * `resyncMs`.
 */
export function startSwarmSource(options: SwarmSourceOptions): SwarmSource {
  const { client, store, address, logger, mode } = options;
  const timing = { ...DEFAULT_TIMING, ...options.timing };
  const life = createSourceLifecycle(timing.requestTimeoutMs);
  const ledger = createContainerLedger({
    address,
    logger,
    kind: 'task',
    members: options.members ?? 'swarm:',
  });
  let active = false;
  const alarm = createAlarm(life.signal);
  const warnOfIngress = createIngressWarner(logger);
  let warnedNotManager = false;

  const markSynced = () => {
    if (life.isSynced()) return;
    store.markSynced(options.syncName ?? SWARM_SOURCE);
    life.synced();
  };

  const withdraw = () => {
    store.apply(ledger.ids().map((id) => ledger.decide(id, undefined)));
  };

  /** Reads the Swarm and applies it; whether anything is on the move. */
  async function reconcile(localNodeId: string): Promise<boolean> {
    alarm.reset();
    const started = performance.now();
    const signal = life.deadline();
    const [services, tasks, nodes] = await Promise.all([
      client.listServices(signal),
      client.listTasks(signal),
      client.listNodes(signal),
    ]);
    const read = readSwarm({ services, tasks, nodes, localNodeId }, ledger);
    store.apply(read.changes);
    markSynced();
    warnOfIngress(services.filter((service) => ledger.watches(service.Spec?.Labels ?? {})));
    logger.debug(
      {
        tasks: tasks.length,
        served: read.served,
        converging: read.converging,
        ms: Math.round(performance.now() - started),
      },
      'Swarm reconciled',
    );
    return read.converging;
  }

  /** One attempt at a session: is the engine a manager; if so subscribe, then reconcile. */
  async function connect(): Promise<{ ended: Promise<void> }> {
    const role = await client.describeSwarm(life.deadline());
    if (!role.manager) {
      active = false;
      if (mode === 'on' && !warnedNotManager) {
        logger.warn(
          '--swarm on: the Docker engine is not a Swarm manager (run the agent on a manager, with deploy.placement.constraints: [node.role == manager]); looking again every resync',
        );
      }
      warnedNotManager = true;
      withdraw();
      markSynced();
      return {
        ended: sleep(timing.resyncMs, undefined, { signal: life.signal }).catch(() => undefined),
      };
    }
    warnedNotManager = false;
    const stream = await client.openEvents(SWARM_EVENT_FILTERS, life.deadline());
    life.following(stream);
    let converging: boolean;
    try {
      converging = await reconcile(role.nodeId);
    } catch (error) {
      stream.close();
      throw error;
    }
    if (!active)
      logger.info({ node: role.nodeId }, 'following the Swarm (this engine is a manager)');
    active = true;
    return {
      ended: followSession({
        stream,
        converging,
        reconcile: () => reconcile(role.nodeId),
        alarm,
        life,
        timing,
        logger,
      }),
    };
  }

  const done = life.run({
    connect,
    retry: timing.retry,
    logger,
    unreachable: 'Swarm unreachable; serving last known tasks and retrying',
  });

  return {
    status: () => ({ synced: life.isSynced(), active }),
    watched: () => ledger.entries(),
    withdraw,
    firstSync: life.firstSync,
    done,
    stop: () => life.stop(),
  };
}

/** What one session of the Swarm source follows, and with what. */
interface SessionFollowing {
  readonly stream: EventStream;
  /** Whether the reconcile that began the session found the Swarm on the move. */
  readonly converging: boolean;
  /** Reads the Swarm and applies it; whether anything is on the move. */
  readonly reconcile: () => Promise<boolean>;
  readonly alarm: Alarm;
  readonly life: SourceLifecycle;
  readonly timing: SwarmSourceTiming;
  readonly logger: Logger;
}

/** Follows one session's events and reconciles on them and on the clock, until it ends. */
async function followSession(session: SessionFollowing): Promise<void> {
  const { stream, alarm, life, timing, logger } = session;
  let ended = false;
  const consumed = (async () => {
    try {
      for await (const event of stream)
        if (event.Type === 'service' || event.Type === 'node') alarm.ring();
    } catch (error) {
      logger.debug({ err: errorMessage(error) }, 'Swarm event stream failed');
    }
    ended = true;
    alarm.wake();
  })();
  let moving = session.converging;
  /** The last reconcile came from an event and found the Swarm on the move. */
  let followUp = false;
  const over = () => life.stopped() || ended;
  while (!over()) {
    await alarm.nap(followUp ? timing.followUpMs : moving ? timing.convergingMs : timing.resyncMs);
    if (over()) break;
    try {
      const byEvent = alarm.rang();
      moving = await session.reconcile();
      followUp = byEvent && moving;
    } catch (error) {
      // The engine is likely going away: end the session; the next one starts with a reconcile.
      logger.debug({ err: errorMessage(error) }, 'Swarm reconcile failed');
      stream.close();
    }
  }
  await consumed;
  if (!life.stopped())
    logger.warn('Swarm event stream ended; serving last known tasks and reconnecting');
}
