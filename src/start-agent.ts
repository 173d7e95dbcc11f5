import type { Logger } from 'pino';

import type { Config } from './config/config.js';
import { createSnapshotStore } from './snapshot-store.js';
import { createDockerodeClient } from './sources/docker/create-dockerode-client.js';
import type { DockerClient } from './sources/docker/docker-client.js';
import {
  DOCKER_SOURCE,
  startDockerSource,
  type RetryTiming,
} from './sources/docker/start-docker-source.js';
import {
  REGISTRATION_SOURCE,
  startRegistrationSource,
} from './sources/registrations/start-registration-source.js';
import { createHttpApp } from './transports/http/create-http-app.js';
import { startHttpServer } from './transports/http/start-http-server.js';

/** A running agent. */
export interface Agent {
  /** The EDS server's bound port. */
  readonly port: number;
  /** Resolves after the first full sync with Docker. */
  readonly firstSync: Promise<void>;
  /** Rejects if the agent hit a programming error and can no longer follow Docker. */
  readonly done: Promise<void>;
  /** Stops accepting requests, finishes in-flight ones, unsubscribes from Docker. */
  stop(): Promise<void>;
}

export interface AgentDependencies {
  readonly logger: Logger;
  /** Defaults to dockerode on `config.dockerHost`. */
  readonly dockerClient?: DockerClient;
  readonly retry?: RetryTiming;
}

/**
 * Wires sources (Docker, registrations) → store → transport: loads the registrations (a bad
 * state file stops the start), then starts the HTTP server (so `/healthz` answers while
 * Docker is still being reached), then follows Docker. Discovery answers 503 until the first
 * full sync with Docker, so an Envoy polling meanwhile keeps the hosts it has; `/readyz` says
 * when that sync has happened.
 */
export async function startAgent(config: Config, deps: AgentDependencies): Promise<Agent> {
  const { logger } = deps;
  // Until both sources have read everything once, discovery answers 503, never a partial set.
  const store = createSnapshotStore({ logger, awaiting: [REGISTRATION_SOURCE, DOCKER_SOURCE] });
  const registrations = await startRegistrationSource({
    store,
    logger,
    stateFile: config.stateFile,
  });
  if (!registrations.ok) {
    throw new Error(`cannot load the state file: ${registrations.problems.join('; ')}`);
  }
  const source = startDockerSource({
    client: deps.dockerClient ?? createDockerodeClient(config.dockerHost),
    store,
    address: config.address,
    logger,
    ...(deps.retry ? { retry: deps.retry } : {}),
  });
  const app = createHttpApp({
    snapshot: () => store.current(),
    readiness: () => {
      const { synced, connected } = source.status();
      const reasons = [
        ...(synced ? [] : ['first sync with Docker not done yet']),
        ...(connected || !synced
          ? []
          : ['Docker engine unreachable; serving last known endpoints']),
      ];
      return { notReadyReasons: reasons };
    },
    logger,
    registration: {
      registrations: registrations.value,
      adminToken: config.adminToken,
      readOnly: config.readOnly,
    },
  });
  let server;
  try {
    server = await startHttpServer(app, config.bind, config.port);
  } catch (error) {
    await source.stop();
    await registrations.value.stop();
    throw error;
  }
  if (config.adminToken === undefined && !config.readOnly && !isLoopback(config.bind)) {
    logger.warn(
      { bind: config.bind },
      'the registration API (/edsservice) is open to anyone who can reach this address; set --admin-token or --read-only',
    );
  }
  logger.info(
    {
      port: server.port,
      bind: config.bind,
      docker: config.dockerHostUrl,
      ...config.address,
      stateFile: config.stateFile ?? '(memory only)',
      readOnly: config.readOnly,
    },
    'eds-agent listening',
  );
  return {
    port: server.port,
    firstSync: source.firstSync,
    done: source.done,
    async stop() {
      await server.close();
      await source.stop();
      await registrations.value.stop();
    },
  };
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}
