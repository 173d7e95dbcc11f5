import type { Logger } from 'pino';

import type { Config } from './config/config.js';
import { describeTls, HTTP_TLS_FLAGS } from './config/tls-files.js';
import { NO_CHANGE } from './core/index/snapshot.js';
import { toAddressRanges } from './core/registrations/address-ranges.js';
import { fail, ok, type Result } from './core/result.js';
import { createMetrics, toContainerCounts } from './metrics/create-metrics.js';
import { createSnapshotStore } from './snapshot-store.js';
import type { DockerSourceTiming } from './sources/docker/start-docker-source.js';
import { EVENT_FILTERS } from './sources/docker/to-event-hint.js';
import { createDockerodeClient } from './sources/engine/create-dockerode-client.js';
import type { DockerClient } from './sources/engine/docker-client.js';
import { instrumentDockerClient } from './sources/engine/instrument-docker-client.js';
import {
  REGISTRATION_SOURCE,
  startRegistrationSource,
} from './sources/registrations/start-registration-source.js';
import { type Engines, startEngines, toEngineSyncNames } from './sources/start-engines.js';
import { buildStatus } from './status/build-status.js';
import { createUnseenOptionsWarner } from './status/create-unseen-options-warner.js';
import { type GrpcServer, startGrpcServer } from './transports/grpc/start-grpc-server.js';
import { createHttpApp } from './transports/http/create-http-app.js';
import { createRestPollers } from './transports/http/create-rest-pollers.js';
import { startHttpServer, toListenProblem } from './transports/http/start-http-server.js';
import {
  describeClosedWrites,
  isLoopback,
  toWriteAccess,
  type WriteAccess,
} from './transports/http/write-access.js';
import { createTurnBudget, TURN_BUDGET_MS } from './transports/shared/create-turn-budget.js';
import { readTlsFiles } from './transports/shared/read-tls-files.js';
import { VERSION } from './version.js';

/** How long a stop lets in-flight HTTP requests finish before cutting their connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** How often the agent looks for labels no client can see (warned about after two looks). */
const UNSEEN_OPTIONS_CHECK_MS = 10_000;

/** A running agent. */
export interface Agent {
  /** The EDS server's bound port. */
  readonly port: number;
  /** The gRPC xDS server's bound port; undefined when it is off. */
  readonly grpcPort: number | undefined;
  /**
   * Resolves after the first full read of every engine (of those of several that were away
   * at start, once another was read) and of the registrations: discovery then answers.
   */
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
  /** Each engine's client, or one for every engine; defaults to dockerode on the engine's endpoint. */
  readonly dockerClient?: DockerClient | ((engine: string) => DockerClient);
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
  const metrics = createMetrics({
    clusterLabels: config.metricsClusterLabels,
    eventActions: EVENT_FILTERS.event,
  });
  const restPollers = createRestPollers();
  // Until every source has read everything once, discovery answers 503, never a partial set.
  const store = createSnapshotStore({
    logger,
    awaiting: [REGISTRATION_SOURCE, ...toEngineSyncNames(config.engines, config.swarm)],
    routeConfigName: config.routeConfigName,
    routeGraceMs: config.routeGraceMs,
  });
  const registrations = await startRegistrationSource({
    store,
    logger,
    stateFile: config.stateFile,
    policy: {
      ...config.registrations,
      allowed: toAddressRanges(config.registrations.allow),
    },
  });
  if (!registrations.ok) return fail(registrations.problems);
  const clients = config.engines.map((engine) => {
    const given = deps.dockerClient;
    if (given === undefined) return createDockerodeClient(engine.endpoint);
    return ok(typeof given === 'function' ? given(engine.name) : given);
  });
  const unusable = clients.flatMap((client) => (client.ok ? [] : client.problems));
  if (unusable.length > 0) {
    await registrations.value.stop();
    return fail(unusable);
  }
  store.subscribe((change) => {
    if (change !== NO_CHANGE) metrics.snapshotChanged();
  });
  const firstSync = new Promise<void>((resolve) => {
    const check = () => {
      if (store.current().awaiting.length === 0) {
        unsubscribe();
        resolve();
      }
    };
    const unsubscribe = store.subscribe(check);
  });

  // Started once the address is ours; until then /readyz says "starting".
  let engines: Engines | undefined = undefined;
  let grpcServer: GrpcServer | undefined = undefined;
  const notReadyReasons = () => engines?.notReadyReasons() ?? ['starting'];
  const writes = toWriteAccess({ ...config, bind: config.bind });
  // REST answers and gRPC responses share one budget of work per event-loop turn.
  const turns = createTurnBudget(TURN_BUDGET_MS);
  const app = createHttpApp({
    turns,
    allowedHosts: config.allowedHosts,
    snapshot: () => store.current(),
    readiness: () => ({ notReadyReasons: notReadyReasons() }),
    metrics,
    restPollers,
    readToken: config.protectStatus ? config.adminToken : undefined,
    status: {
      metrics,
      status: () =>
        buildStatus({
          version: VERSION,
          startedAt,
          notReadyReasons: notReadyReasons(),
          labelPrefix: config.address.labelPrefix,
          snapshot: store.current(),
          engines: engines?.statuses() ?? [],
          containers: engines?.watched() ?? [],
          restPollers: restPollers.list(),
          grpcStreams: grpcServer?.streamStatus() ?? [],
        }),
    },
    logger,
    registration: {
      registrations: registrations.value,
      writes,
    },
  });
  const httpTls =
    config.httpTls === undefined ? ok(undefined) : readTlsFiles(config.httpTls, HTTP_TLS_FLAGS);
  if (!httpTls.ok) {
    await registrations.value.stop();
    return fail(httpTls.problems);
  }
  let server;
  try {
    server = await startHttpServer(app, config.bind, config.port, {
      ...(config.httpTls === undefined || httpTls.value === undefined
        ? {}
        : { tls: { files: config.httpTls, content: httpTls.value, logger } }),
    });
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
          tls: config.grpcTls,
          turns,
        });
  if (!grpc.ok) {
    await server.close();
    await registrations.value.stop();
    return fail(grpc.problems);
  }

  grpcServer = grpc.value;
  const following = startEngines({
    configs: config.engines,
    clients: clients.map((client, index) => {
      if (!client.ok) throw new Error('unreachable: every client was checked');
      return instrumentDockerClient(client.value, metrics, config.engines[index]?.name ?? '');
    }),
    store,
    address: config.address,
    logger,
    swarm: config.swarm,
    graceMs: config.engineGraceMs,
    ...(deps.timing ? { timing: deps.timing } : {}),
  });
  engines = following;
  logWriteAccess(writes, logger);
  logExposure(config, { port: server.port, grpcPort: grpc.value?.port }, logger);
  logger.info(
    {
      port: server.port,
      grpcPort: grpc.value?.port ?? 'off',
      bind: config.bind,
      docker: config.engines.map((engine) => `${engine.name}=${engine.url}`),
      ...config.address,
      stateFile: config.stateFile ?? '(memory only)',
      writes: writes.kind,
      grpcTls: describeTls(config.grpcTls),
      httpTls: describeTls(config.httpTls),
      swarm: config.swarm.mode,
    },
    'eds-agent listening',
  );
  const unseenOptions = createUnseenOptionsWarner(
    {
      services: () =>
        [...store.current().clusters].map(([name, cluster]) => [name, cluster.options] as const),
      restPollers: () => restPollers.list(),
      grpcStreams: () => grpc.value?.streamStatus() ?? [],
    },
    logger,
    config.address.labelPrefix,
  );
  const unseenTimer = setInterval(() => {
    unseenOptions.check();
  }, UNSEEN_OPTIONS_CHECK_MS);
  unseenTimer.unref();
  metrics.read({
    snapshot: () => store.current(),
    containers: () => toContainerCounts(following.watched()),
    engines: () => following.statuses(),
    grpcStreams: () => grpc.value?.streamCounts() ?? [],
  });
  return ok({
    port: server.port,
    grpcPort: grpc.value?.port,
    firstSync,
    done: following.done,
    async stop() {
      clearInterval(unseenTimer);
      await grpc.value?.close();
      await server.close(SHUTDOWN_GRACE_MS);
      await following.stop();
      await registrations.value.stop();
    },
  });
}

/** Says once, at start, who may write registrations when that is not plain (a token, or read-only). */
function logWriteAccess(writes: WriteAccess, logger: Logger): void {
  if (writes.kind === 'closed') {
    logger.warn(
      { bind: writes.bind },
      `registration writes (/edsservice) are refused: ${describeClosedWrites(writes.bind)}`,
    );
  } else if (writes.kind === 'open' && writes.because === 'insecure-open-writes') {
    logger.warn(
      'INSECURE: --insecure-open-writes lets anyone who reaches this agent register endpoints and reroute traffic through Envoy; never use it beyond a demo',
    );
  }
}

/**
 * Warns, once at start, of each channel left open to whoever reaches it: plaintext xDS beyond
 * loopback, an admin token sent in clear, a Docker engine whose identity is not checked.
 */
function logExposure(
  config: Config,
  ports: { port: number; grpcPort: number | undefined },
  logger: Logger,
): void {
  if (ports.grpcPort !== undefined && config.grpcTls === undefined && !isLoopback(config.bind)) {
    logger.warn(
      { bind: config.bind, grpcPort: ports.grpcPort },
      'the gRPC xDS server is plaintext with no authentication: anyone who reaches it reads every cluster, route and listener; serve it over mutual TLS with --grpc-tls-cert, --grpc-tls-key and --grpc-client-ca, or listen on loopback',
    );
  }
  if (config.adminToken !== undefined && config.httpTls === undefined && !isLoopback(config.bind)) {
    logger.warn(
      { bind: config.bind, port: ports.port },
      'the admin token crosses the network in clear: serve the HTTP API over TLS with --http-tls-cert and --http-tls-key, or listen on loopback or a private network only',
    );
  }
  for (const engine of config.engines) {
    if (engine.endpoint.kind === 'tcp' && engine.endpoint.tls?.verify === false)
      logger.warn(
        { engine: engine.name, url: engine.url },
        `TLS to engine ${engine.name} is not verified (--tls without --tlsverify): anyone on the path can pose as the engine and feed the agent containers; add --tlsverify`,
      );
  }
}
