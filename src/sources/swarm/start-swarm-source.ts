import { setTimeout as sleep } from 'node:timers/promises';

import type { Logger } from 'pino';

import { hasPrefixedLabels } from '../../core/labels/parse-service-labels.js';
import type { AddressOptions } from '../../core/labels/to-container-endpoints.js';
import type { MemberChange, SnapshotStore } from '../../snapshot-store.js';
import { createContainerLedger, type LedgerEntry } from '../docker/create-container-ledger.js';
import type { DockerClient, EventStream } from '../docker/docker-client.js';
import type { DockerService, DockerTask } from '../docker/docker-json.js';
import { errorMessage } from '../docker/error-message.js';
import { runSessions } from '../docker/run-sessions.js';
import type { RetryTiming } from '../docker/to-backoff-delay.js';
import {
  ingressPorts,
  isServiceConverging,
  isTaskConverging,
  keepAddresses,
  type SwarmState,
  taskLabels,
  toTaskRecord,
} from './to-task-record.js';

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

export interface SwarmSource {
  status(): SwarmSourceStatus;
  /** Every labelled task the source watches, with what was decided for it. */
  tasks(): Iterable<[id: string, entry: LedgerEntry]>;
  /** Resolves after the first reconcile, or once the engine is found not to be a manager. */
  readonly firstSync: Promise<void>;
  /** Rejects with a `DockerUnusableError` when the engine refuses the agent for good. */
  readonly done: Promise<void>;
  /** Withdraws every task's endpoints and forgets them; the next reconcile serves what it finds. */
  withdraw(): void;
  stop(): Promise<void>;
}

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
  const abort = new AbortController();
  const stopped = (): boolean => abort.signal.aborted;
  const deadline = (): AbortSignal =>
    AbortSignal.any([abort.signal, AbortSignal.timeout(timing.requestTimeoutMs)]);

  const ledger = createContainerLedger(address, logger, 'task', options.members ?? 'swarm:');
  let synced = false;
  let active = false;
  let events: EventStream | undefined;
  /** A service or node event came since the last reconcile began. */
  let woken = false;
  let wake: (() => void) | undefined;
  /** Services already warned of for their ingress ports, with the ports warned of. */
  const warnedIngress = new Map<string, string>();
  let warnedNotManager = false;
  let resolveFirstSync: () => void = () => undefined;
  const firstSync = new Promise<void>((resolve) => (resolveFirstSync = resolve));

  const labelled = (service: DockerService) =>
    hasPrefixedLabels(service.Spec?.Labels ?? {}, address.labelPrefix);

  const markSynced = () => {
    if (synced) return;
    synced = true;
    store.markSynced(options.syncName ?? SWARM_SOURCE);
    resolveFirstSync();
  };

  const withdraw = () => {
    store.apply(ledger.ids().map((id) => ledger.decide(id, undefined)));
  };

  /** Reads the Swarm and applies it; whether anything is on the move. */
  async function reconcile(localNodeId: string): Promise<boolean> {
    woken = false;
    const started = performance.now();
    const signal = deadline();
    const [services, tasks, nodes] = await Promise.all([
      client.listServices(signal),
      client.listTasks(signal),
      client.listNodes(signal),
    ]);
    const state: SwarmState = {
      services: new Map(services.map((service) => [service.ID, service])),
      nodes: new Map(nodes.map((node) => [node.ID, node])),
      localNodeId,
    };
    const changes: MemberChange[] = [];
    const served = new Set<string>();
    const tasksOf = new Map<string, DockerTask[]>();
    for (const task of tasks) {
      const id = task.ServiceID ?? '';
      const ofService = tasksOf.get(id);
      if (ofService) ofService.push(task);
      else tasksOf.set(id, [task]);
    }
    let converging = services.some(
      (service) => labelled(service) && isServiceConverging(service, tasksOf.get(service.ID) ?? []),
    );
    for (const task of tasks) {
      const service = state.services.get(task.ServiceID ?? '');
      const watched = hasPrefixedLabels(taskLabels(task, service), address.labelPrefix);
      if (!watched) continue;
      converging ||= isTaskConverging(task);
      const record = toTaskRecord(task, state);
      if (record === undefined) continue;
      served.add(task.ID);
      changes.push(ledger.decide(task.ID, keepAddresses(record, ledger.lastRecord(task.ID))));
    }
    for (const id of ledger.ids()) if (!served.has(id)) changes.push(ledger.decide(id, undefined));
    store.apply(changes);
    markSynced();
    warnOfIngress(services.filter(labelled));
    logger.debug(
      {
        tasks: tasks.length,
        served: served.size,
        converging,
        ms: Math.round(performance.now() - started),
      },
      'Swarm reconciled',
    );
    return converging;
  }

  /** Ingress ports go through the routing mesh: Envoy should balance the tasks themselves. */
  function warnOfIngress(services: readonly DockerService[]): void {
    for (const service of services) {
      const ports = ingressPorts(service).join(', ');
      if (ports === '' || warnedIngress.get(service.ID) === ports) continue;
      warnedIngress.set(service.ID, ports);
      logger.warn(
        { service: service.Spec?.Name, ingressPorts: ports },
        `service ${service.Spec?.Name ?? service.ID} publishes ${ports} on the routing mesh (mode=ingress): those ports are not endpoints, since Envoy should balance the tasks, not the mesh; its tasks are served at their own addresses (publish with mode=host for --address-mode host)`,
      );
    }
  }

  /** Resolves after `ms`, or at once when an event came meanwhile or the source stops. */
  function nap(ms: number): Promise<void> {
    if (woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      }
      wake = done;
      abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Follows one session's events and reconciles on them and on the clock, until it ends. */
  async function follow(stream: EventStream, localNodeId: string, converging: boolean) {
    const session = { ended: false };
    const consumed = (async () => {
      try {
        for await (const event of stream) {
          if (event.Type === 'service' || event.Type === 'node') {
            woken = true;
            wake?.();
          }
        }
      } catch (error) {
        logger.debug({ err: errorMessage(error) }, 'Swarm event stream failed');
      }
      session.ended = true;
      wake?.();
    })();
    let moving = converging;
    /** The last reconcile came from an event and found the Swarm on the move. */
    let followUp = false;
    const over = () => stopped() || session.ended;
    while (!over()) {
      await nap(followUp ? timing.followUpMs : moving ? timing.convergingMs : timing.resyncMs);
      if (over()) break;
      try {
        const byEvent = woken;
        moving = await reconcile(localNodeId);
        followUp = byEvent && moving;
      } catch (error) {
        // The engine is likely going away: end the session; the next one starts with a reconcile.
        logger.debug({ err: errorMessage(error) }, 'Swarm reconcile failed');
        stream.close();
      }
    }
    await consumed;
    if (!stopped())
      logger.warn('Swarm event stream ended; serving last known tasks and reconnecting');
  }

  /** One attempt at a session: is the engine a manager; if so subscribe, then reconcile. */
  async function connect(): Promise<{ ended: Promise<void> }> {
    const role = await client.describeSwarm(deadline());
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
        ended: sleep(timing.resyncMs, undefined, { signal: abort.signal }).catch(() => undefined),
      };
    }
    warnedNotManager = false;
    const stream = await client.openEvents(SWARM_EVENT_FILTERS, deadline());
    events = stream;
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
    return { ended: follow(stream, role.nodeId, converging) };
  }

  const done = runSessions({
    connect,
    retry: timing.retry,
    signal: abort.signal,
    logger,
    unreachable: 'Swarm unreachable; serving last known tasks and retrying',
  }).catch((error: unknown) => {
    if (stopped()) return;
    throw error;
  });

  return {
    status: () => ({ synced, active }),
    tasks: () => ledger.entries(),
    withdraw,
    firstSync,
    done,
    async stop() {
      abort.abort();
      events?.close();
      await done.catch(() => undefined);
    },
  };
}
