import type { Logger } from 'pino';

import type { Config, EngineConfig } from '../config/config.js';
import type { EngineStatus } from '../core/engine-status.js';
import type { AddressOptions } from '../core/labels/to-container-endpoints.js';
import type { SnapshotStore } from '../snapshot-store.js';
import type { LedgerEntry } from './docker/create-container-ledger.js';
import type { DockerClient } from './docker/docker-client.js';
import {
  DOCKER_SOURCE,
  type DockerSourceTiming,
  startDockerSource,
} from './docker/start-docker-source.js';
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

export interface EngineOptions {
  readonly config: EngineConfig;
  readonly client: DockerClient;
  readonly store: SnapshotStore;
  /** The agent's address options; the engine's host IP (and zone, of several) are its own. */
  readonly address: AddressOptions;
  readonly logger: Logger;
  readonly swarm: Config['swarm'];
  /** One engine among several: named in its logs, its endpoints' zone, and withdrawn after `graceMs` away. */
  readonly several: boolean;
  readonly graceMs: number;
  readonly timing?: Partial<DockerSourceTiming>;
  /** Called whenever it is read in full or goes away. */
  readonly onChange?: () => void;
}

/**
 * The sources an engine marks the store synced under: `docker` and `swarm` for the one
 * engine, `docker:<name>` and `swarm:<name>` for each of several.
 */
export function toEngineSourceNames(
  name: string,
  several: boolean,
): { docker: string; swarm: string } {
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
export function startEngine(options: EngineOptions): Engine {
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
      options.onChange?.();
    },
    onDisconnected() {
      awaySince ??= Date.now();
      if (several && grace === undefined && !withdrawn) grace = setTimeout(expire, options.graceMs);
      options.onChange?.();
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
    options.onChange?.();
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
      yield* docker.containers();
      if (swarm) yield* swarm.tasks();
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
