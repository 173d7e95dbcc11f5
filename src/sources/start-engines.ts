import type { Logger } from 'pino';

import type { Config, EngineConfig } from '../config/config.js';
import type { EngineStatus } from '../core/engine-status.js';
import type { AddressOptions } from '../core/labels/to-container-endpoints.js';
import type { SnapshotStore } from '../snapshot-store.js';
import {
  DOCKER_SOURCE,
  type DockerSourceTiming,
  startDockerSource,
} from './docker/start-docker-source.js';
import type { LedgerEntry } from './engine/create-container-ledger.js';
import type { DockerClient } from './engine/docker-client.js';
import { startSwarmSource, SWARM_SOURCE } from './swarm/start-swarm-source.js';

/** One engine followed: its containers, and its Swarm's tasks when it is a manager. */
export interface Engine {
  readonly name: string;
  status(): EngineStatus;
  /** Its labelled containers, then its labelled tasks, each with what was decided for it. */
  watched(): Iterable<[id: string, entry: LedgerEntry]>;
  /**
   * Lets the store serve without this engine's first read: it was away at start while
   * another engine was read. What it holds is served once it is back.
   */
  skipFirstRead(): void;
  /** Rejects when the engine refuses the agent for good (see `DockerSource.done`). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

interface EngineOptions extends Omit<EnginesOptions, 'configs' | 'clients'> {
  readonly config: EngineConfig;
  readonly client: DockerClient;
  /** One engine among several: named in its logs, its endpoints' zone, and withdrawn after `graceMs` away. */
  readonly several: boolean;
  /** Called whenever it is read in full or goes away. */
  readonly onChange: () => void;
}

/** The engines the agent follows, and what it takes to follow them. */
export interface EnginesOptions {
  readonly configs: readonly EngineConfig[];
  /** Each engine's client, in the order of `configs`. */
  readonly clients: readonly DockerClient[];
  readonly store: SnapshotStore;
  /** The agent's address options; the engine's host IP (and zone, of several) are its own. */
  readonly address: AddressOptions;
  readonly logger: Logger;
  readonly swarm: Config['swarm'];
  /** How long one of several engines that went away keeps its endpoints served. */
  readonly graceMs: number;
  readonly timing?: Partial<DockerSourceTiming>;
}

/**
 * The sources an engine marks the store synced under: `docker` and `swarm` for the one
 * engine, `docker:<name>` and `swarm:<name>` for each of several.
 */
function toEngineSourceNames(name: string, several: boolean): { docker: string; swarm: string } {
  return several
    ? { docker: `${DOCKER_SOURCE}:${name}`, swarm: `${SWARM_SOURCE}:${name}` }
    : { docker: DOCKER_SOURCE, swarm: SWARM_SOURCE };
}

/**
 * Follows one engine: a Docker source for its containers and, unless `--swarm off`, a Swarm
 * source for its services' tasks, both keyed by the engine's name so that equal container
 * names on two engines never meet. One of several engines that goes away keeps its last
 * endpoints served for `graceMs`, then withdraws them until it is back (its next full read
 * serves what it then holds); the one engine keeps them until it is back, since nothing else
 * could serve instead.
 */
function startEngine(options: EngineOptions): Engine {
  const { config, client, store, several } = options;
  const logger = several ? options.logger.child({ engine: config.name }) : options.logger;
  const names = toEngineSourceNames(config.name, several);
  const address: AddressOptions = {
    ...options.address,
    hostIp: config.hostIp,
    ...(several ? { zone: config.name } : {}),
  };
  let awaySince: number | undefined = undefined;
  let withdrawn = false;
  let grace: NodeJS.Timeout | undefined = undefined;

  const docker = startDockerSource({
    client,
    store,
    address,
    logger,
    ...(options.timing ? { timing: options.timing } : {}),
    skipSwarmTasks: options.swarm.mode !== 'off',
    syncName: names.docker,
    members: `docker:${config.name}:`,
    onConnected() {
      clearTimeout(grace);
      grace = undefined;
      if (withdrawn) logger.info(`engine ${config.name} is back; serving what it holds`);
      awaySince = undefined;
      withdrawn = false;
      options.onChange();
    },
    onDisconnected() {
      awaySince ??= Date.now();
      if (several && grace === undefined && !withdrawn) grace = setTimeout(expire, options.graceMs);
      options.onChange();
    },
  });
  const swarm =
    options.swarm.mode === 'off'
      ? undefined
      : startSwarmSource({
          client,
          store,
          address,
          logger,
          mode: options.swarm.mode,
          timing: { resyncMs: options.swarm.resyncMs },
          syncName: names.swarm,
          members: `swarm:${config.name}:`,
        });

  /** The grace is over and the engine is still away: what it served may be gone. */
  function expire(): void {
    grace = undefined;
    withdrawn = true;
    logger.warn(
      { awayMs: Date.now() - (awaySince ?? Date.now()) },
      `engine ${config.name} has been away longer than --engine-grace; withdrawing its endpoints until it is back`,
    );
    docker.withdraw();
    swarm?.withdraw();
    options.onChange();
  }

  return {
    name: config.name,
    status() {
      const read = docker.status();
      return {
        name: config.name,
        host: config.url,
        synced: read.synced,
        connected: read.connected,
        responsive: read.responsive,
        engine: read.engine,
        swarm: swarm?.status(),
        awaySince,
        withdrawn,
      };
    },
    *watched() {
      yield* docker.watched();
      if (swarm) yield* swarm.watched();
    },
    skipFirstRead() {
      store.markSynced(names.docker);
      if (swarm) store.markSynced(names.swarm);
    },
    done: Promise.all([docker.done, swarm?.done]).then(() => undefined),
    async stop() {
      clearTimeout(grace);
      await Promise.all([docker.stop(), swarm?.stop()]);
    },
  };
}

/** Every engine the agent follows, seen as one. */
export interface Engines {
  /** Each engine's status, in the order of the configuration. */
  statuses(): EngineStatus[];
  /** Every engine's containers, then tasks, each with what was decided for it and its engine. */
  watched(): Iterable<readonly [id: string, entry: LedgerEntry & { readonly engine: string }]>;
  /**
   * Why `/readyz` says not ready; none once every engine has been read (or, of several, was
   * away at start while another was read) and at least one is followed and answering.
   */
  notReadyReasons(): string[];
  /** Rejects when an engine refuses the agent for good (see `DockerSource.done`). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The names the store must see synced before it serves (see `Snapshot.awaiting`): each
 * engine's Docker source, and its Swarm source unless `--swarm off`.
 */
export function toEngineSyncNames(
  configs: readonly EngineConfig[],
  swarm: Config['swarm'],
): string[] {
  const several = configs.length > 1;
  return configs.flatMap((engine) => {
    const names = toEngineSourceNames(engine.name, several);
    return swarm.mode === 'off' ? [names.docker] : [names.docker, names.swarm];
  });
}

/**
 * Follows every configured engine. Of several, one that is away at start is not waited for
 * once another has been read: the store serves the others, and it is served once back.
 */
export function startEngines(options: EnginesOptions): Engines {
  const { configs, clients, logger } = options;
  const several = configs.length > 1;
  /** Engines of several that were away at start, and so not waited for once another was read. */
  const skipped = new Set<string>();
  let engines: readonly Engine[] = [];
  const settleStart = () => {
    const now = engines.map((engine) => [engine, engine.status()] as const);
    if (!now.some(([, status]) => status.synced)) return;
    for (const [engine, status] of now) {
      if (status.synced || status.awaySince === undefined || skipped.has(engine.name)) continue;
      skipped.add(engine.name);
      logger.warn(
        { engine: engine.name },
        `engine ${engine.name} is away; serving the other engines without it until it is back`,
      );
      engine.skipFirstRead();
    }
  };
  engines = configs.map((config, index) => {
    const client = clients[index];
    if (client === undefined) throw new Error(`no client for engine ${config.name}`);
    return startEngine({ ...options, config, client, several, onChange: settleStart });
  });
  const statuses = () => engines.map((engine) => engine.status());
  return {
    statuses,
    *watched() {
      for (const engine of engines)
        for (const [id, entry] of engine.watched())
          yield [id, { ...entry, engine: engine.name }] as const;
    },
    notReadyReasons: () => toNotReadyReasons(statuses(), skipped),
    done: Promise.all(engines.map((engine) => engine.done)).then(() => undefined),
    async stop() {
      await Promise.all(engines.map((engine) => engine.stop()));
    },
  };
}

function toNotReadyReasons(
  engines: readonly EngineStatus[],
  skipped: ReadonlySet<string>,
): string[] {
  const several = engines.length > 1;
  const reasons: string[] = [];
  for (const engine of engines) {
    if (skipped.has(engine.name)) continue;
    if (!engine.synced)
      reasons.push(
        several
          ? `first sync with engine ${engine.name} not done yet`
          : 'first sync with Docker not done yet',
      );
    else if (engine.swarm?.synced === false)
      reasons.push(
        several
          ? `first read of engine ${engine.name}'s Swarm not done yet`
          : 'first read of the Swarm not done yet',
      );
  }
  if (reasons.length > 0) return reasons;
  if (several) {
    return engines.some((engine) => engine.connected && engine.responsive)
      ? []
      : ['no Docker engine followed and answering; serving last known endpoints'];
  }
  const [engine] = engines;
  if (engine !== undefined && !engine.responsive)
    return ['Docker engine not answering pings; serving last known endpoints'];
  if (engine !== undefined && !engine.connected)
    return ['Docker engine unreachable; serving last known endpoints'];
  return [];
}
