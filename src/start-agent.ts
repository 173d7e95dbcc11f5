import type { Logger } from 'pino';

import type { Config } from './config/config.js';
import { fail, ok, type Result } from './core/result.js';
import { NO_CHANGE } from './core/snapshot.js';
import { createMetrics, toContainerCounts } from './metrics/create-metrics.js';
import { instrumentDockerClient } from './metrics/instrument-docker-client.js';
import { createSnapshotStore } from './snapshot-store.js';
import { createDockerodeClient } from './sources/docker/create-dockerode-client.js';
import type { DockerClient } from './sources/docker/docker-client.js';
import {
  DOCKER_SOURCE,
  type DockerSource,
  type DockerSourceStatus,
  type DockerSourceTiming,
  startDockerSource,
} from './sources/docker/start-docker-source.js';
import {
  REGISTRATION_SOURCE,
  startRegistrationSource,
} from './sources/registrations/start-registration-source.js';
import {
  startSwarmSource,
  SWARM_SOURCE,
  type SwarmSource,
  type SwarmSourceStatus,
} from './sources/swarm/start-swarm-source.js';
import { buildStatus } from './status/build-status.js';
import { type GrpcServer, startGrpcServer } from './transports/grpc/start-grpc-server.js';
import { createHttpApp } from './transports/http/create-http-app.js';
import { createRestPollers } from './transports/http/create-rest-pollers.js';
import { createTurnBudget, TURN_BUDGET_MS } from './transports/http/create-turn-budget.js';
import { startHttpServer, toListenProblem } from './transports/http/start-http-server.js';
import { VERSION } from './version.js';

/** How long a stop lets in-flight HTTP requests finish before cutting their connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** A running agent. */
export interface Agent {
  /** The EDS server's bound port. */
  readonly port: number;
  /** The gRPC xDS server's bound port; undefined when it is off. */
  readonly grpcPort: number | undefined;
  /** Resolves after the first full sync with Docker. */
  readonly firstSync: Promise<void>;
  /**
   * Rejects when the agent can no longer follow Docker: a `DockerUnusableError` when the engine
   * refuses it for good (permission denied), anything else on a programming error.
   */
  readonly done: Promise<void>;
  /** Stops accepting requests, finishes in-flight ones, unsubscribes from Docker. */
  stop(): Promise<void>;
}

export interface AgentDependencies {
  readonly logger: Logger;
  /** Defaults to dockerode on `config.dockerHost`. */
  readonly dockerClient?: DockerClient;
  readonly timing?: Partial<DockerSourceTiming>;
}

/**
 * Wires sources (Docker, registrations) → store → transport. Loads the registrations, then
 * listens, then follows Docker, so a state file or an address the agent cannot use is reported
 * before anything else happens: those come back as problems (one line each, for exit code 2).
 * Discovery answers 503 until the first full sync with Docker, so an Envoy polling meanwhile
 * keeps the hosts it has; `/readyz` says when that sync has happened.
 */
export async function startAgent(config: Config, deps: AgentDependencies): Promise<Result<Agent>> {
  const { logger } = deps;
  const startedAt = Date.now();
  const metrics = createMetrics({ clusterLabels: config.metricsClusterLabels });
  const restPollers = createRestPollers();
  // Until both sources have read everything once, discovery answers 503, never a partial set.
  const store = createSnapshotStore({
    logger,
    awaiting: [
      REGISTRATION_SOURCE,
      DOCKER_SOURCE,
      ...(config.swarm.mode === 'off' ? [] : [SWARM_SOURCE]),
    ],
    routeConfigName: config.routeConfigName,
  });
  const registrations = await startRegistrationSource({
    store,
    logger,
    stateFile: config.stateFile,
  });
  if (!registrations.ok) return fail(registrations.problems);
  const client = deps.dockerClient
    ? ok(deps.dockerClient)
    : createDockerodeClient(config.dockerHost);
  if (!client.ok) {
    await registrations.value.stop();
    return fail(client.problems);
  }
  store.subscribe((change) => {
    if (change !== NO_CHANGE) metrics.snapshotChanged();
  });

  // Started once the address is ours; until then /readyz says "starting".
  let source: DockerSource | undefined = undefined;
  let swarm: SwarmSource | undefined = undefined;
  let grpcServer: GrpcServer | undefined = undefined;
  const notReadyReasons = () => toNotReadyReasons(source?.status(), swarm?.status());
  /** Containers, then Swarm tasks, each with what was decided for it. */
  const watched = () => [...(source?.containers() ?? []), ...(swarm?.tasks() ?? [])];
  // REST answers and gRPC responses share one budget of work per event-loop turn.
  const turns = createTurnBudget(TURN_BUDGET_MS);
  const app = createHttpApp({
    turns,
    snapshot: () => store.current(),
    readiness: () => ({ notReadyReasons: notReadyReasons() }),
    metrics,
    restPollers,
    status: {
      metrics,
      token: config.protectStatus ? config.adminToken : undefined,
      status: () => {
        const docker = source?.status();
        return buildStatus({
          version: VERSION,
          startedAt,
          notReadyReasons: notReadyReasons(),
          labelPrefix: config.address.labelPrefix,
          snapshot: store.current(),
          docker: {
            host: config.dockerHostUrl,
            synced: docker?.synced ?? false,
            connected: docker?.connected ?? false,
            responsive: docker?.responsive ?? false,
            engine: docker?.engine,
          },
          containers: watched(),
          restPollers: restPollers.list(),
          grpcStreams: grpcServer?.streamStatus() ?? [],
        });
      },
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
    await registrations.value.stop();
    const problem = toListenProblem(error, config.bind, config.port);
    if (problem === undefined) throw error;
    return fail([problem]);
  }

  const grpc =
    config.grpcPort === undefined
      ? ok(undefined)
      : await startGrpcServer({
          store,
          logger,
          metrics,
          bind: config.bind,
          port: config.grpcPort,
          limits: config.grpcLimits,
          turns,
        });
  if (!grpc.ok) {
    await server.close();
    await registrations.value.stop();
    return fail(grpc.problems);
  }

  grpcServer = grpc.value;
  const dockerClient = instrumentDockerClient(client.value, metrics);
  source = startDockerSource({
    client: dockerClient,
    store,
    address: config.address,
    logger,
    ...(deps.timing ? { timing: deps.timing } : {}),
    skipSwarmTasks: config.swarm.mode !== 'off',
  });
  swarm =
    config.swarm.mode === 'off'
      ? undefined
      : startSwarmSource({
          client: dockerClient,
          store,
          address: config.address,
          logger,
          mode: config.swarm.mode,
          timing: { resyncMs: config.swarm.resyncMs },
        });
  if (config.adminToken === undefined && !config.readOnly && !isLoopback(config.bind)) {
    logger.warn(
      { bind: config.bind },
      'the registration API (/edsservice) is open to anyone who can reach this address; set --admin-token or --read-only',
    );
  }
  logger.info(
    {
      port: server.port,
      grpcPort: grpc.value?.port ?? 'off',
      bind: config.bind,
      docker: config.dockerHostUrl,
      ...config.address,
      stateFile: config.stateFile ?? '(memory only)',
      readOnly: config.readOnly,
      swarm: config.swarm.mode,
    },
    'eds-agent listening',
  );
  const running = source;
  const following = swarm;
  metrics.read({
    snapshot: () => store.current(),
    containers: () => toContainerCounts(watched()),
    docker: () => running.status(),
    grpcStreams: () => grpc.value?.streamCounts() ?? [],
  });
  return ok({
    port: server.port,
    grpcPort: grpc.value?.port,
    firstSync: Promise.all([running.firstSync, following?.firstSync]).then(() => undefined),
    done: Promise.all([running.done, following?.done]).then(() => undefined),
    async stop() {
      await grpc.value?.close();
      await server.close(SHUTDOWN_GRACE_MS);
      await Promise.all([running.stop(), following?.stop()]);
      await registrations.value.stop();
    },
  });
}

/** Why `/readyz` says not ready; none once synced and following a responsive engine. */
function toNotReadyReasons(
  status: DockerSourceStatus | undefined,
  swarm: SwarmSourceStatus | undefined,
): string[] {
  if (status === undefined) return ['starting'];
  if (!status.synced) return ['first sync with Docker not done yet'];
  if (swarm?.synced === false) return ['first read of the Swarm not done yet'];
  if (!status.responsive)
    return ['Docker engine not answering pings; serving last known endpoints'];
  if (!status.connected) return ['Docker engine unreachable; serving last known endpoints'];
  return [];
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}
