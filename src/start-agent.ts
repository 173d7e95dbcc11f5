import type { Logger } from 'pino';

import type { Config } from './config/config.js';
import { describeTls, HTTP_TLS_FLAGS } from './config/tls-files.js';
import { FRONT_HTTP_ROUTES } from './core/front-door/front-door-settings.js';
import { NO_CHANGE } from './core/index/snapshot.js';
import { toAddressRanges } from './core/registrations/address-ranges.js';
import { fail, ok, type Result } from './core/result.js';
import { ROUTE_CONFIGURATION_TYPE_URL } from './core/type-urls.js';
import { createMetrics, type Metrics, toContainerCounts } from './metrics/create-metrics.js';
import { createSnapshotStore, type SnapshotStore } from './snapshot-store.js';
import { type Certificates, startCertificates } from './sources/certificates/start-certificates.js';
import type { DockerSourceTiming } from './sources/docker/start-docker-source.js';
import { EVENT_FILTERS } from './sources/docker/to-event-hint.js';
import { createDockerodeClient } from './sources/engine/create-dockerode-client.js';
import type { DockerClient } from './sources/engine/docker-client.js';
import { instrumentDockerClient } from './sources/engine/instrument-docker-client.js';
import {
  REGISTRATION_SOURCE,
  type RegistrationSource,
  startRegistrationSource,
} from './sources/registrations/start-registration-source.js';
import { type Engines, startEngines, toEngineSyncNames } from './sources/start-engines.js';
import { buildStatus } from './status/build-status.js';
import { createUnseenOptionsWarner } from './status/create-unseen-options-warner.js';
import {
  type GrpcServer,
  type GrpcServerOptions,
  startGrpcServer,
} from './transports/grpc/start-grpc-server.js';
import { createHttpApp } from './transports/http/create-http-app.js';
import { createRestPollers, type RestPollers } from './transports/http/create-rest-pollers.js';
import {
  type HttpServer,
  startHttpServer,
  toListenProblem,
} from './transports/http/start-http-server.js';
import {
  describeClosedWrites,
  isLoopback,
  toWriteAccess,
  type WriteAccess,
} from './transports/http/write-access.js';
import {
  createTurnBudget,
  TURN_BUDGET_MS,
  type TurnBudget,
} from './transports/shared/create-turn-budget.js';
import { readTlsFiles } from './transports/shared/read-tls-files.js';
import { VERSION } from './version.js';

/** How long an ACME challenge waits for Envoy to take the route that answers it. */
const CHALLENGE_ACK_TIMEOUT_MS = 10_000;

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
  const store = createAgentStore(config, logger);
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
  const clients = toEngineClients(config, deps);
  if (!clients.ok) {
    await registrations.value.stop();
    return fail(clients.problems);
  }
  store.subscribe((change) => {
    if (change !== NO_CHANGE) metrics.snapshotChanged();
  });
  // Started once the address is ours; until then /readyz says "starting".
  let engines: Engines | undefined = undefined;
  let grpcServer: GrpcServer | undefined = undefined;
  // The CA is made (or read) before anything listens, so /pki/root.pem answers from the start.
  const certificates = await startConfiguredCertificates(config, store, logger, () => grpcServer);
  const firstSync = untilNothingAwaited(store);
  const notReadyReasons = () => engines?.notReadyReasons() ?? ['starting'];
  const writes = toWriteAccess({ ...config, bind: config.bind });
  // REST answers and gRPC responses share one budget of work per event-loop turn.
  const turns = createTurnBudget(TURN_BUDGET_MS);
  const app = createAgentHttpApp({
    config,
    store,
    metrics,
    restPollers,
    logger,
    registrations: registrations.value,
    writes,
    turns,
    startedAt,
    notReadyReasons,
    engines: () => engines,
    grpcServer: () => grpcServer,
    certificates,
  });
  const listening = await listenHttp(app, config, logger);
  if (!listening.ok) {
    certificates?.stop();
    await registrations.value.stop();
    return fail(listening.problems);
  }
  const server = listening.value;

  const grpc = await startConfiguredGrpcServer(config, { store, logger, metrics, turns });
  if (!grpc.ok) {
    certificates?.stop();
    await server.close();
    await registrations.value.stop();
    return fail(grpc.problems);
  }

  grpcServer = grpc.value;
  const following = startEngines({
    configs: config.engines,
    clients: clients.value.map(({ name, client }) => instrumentDockerClient(client, metrics, name)),
    store,
    address: config.address,
    logger,
    swarm: config.swarm,
    graceMs: config.engineGraceMs,
    ...(deps.timing ? { timing: deps.timing } : {}),
  });
  engines = following;
  logListening(config, { port: server.port, grpcPort: grpc.value?.port }, writes, logger);
  const unseenOptions = createUnseenOptionsWarner(
    {
      services: () =>
        [...store.current().clusters].map(([name, cluster]) => [name, cluster.options] as const),
      restPollers: () => restPollers.list(),
      grpcStreams: () => grpc.value?.streamStatus() ?? [],
      agentListeners: config.frontDoor !== undefined,
    },
    logger,
    config.address.labelPrefix,
  );
  const unseenTimer = setInterval(() => {
    unseenOptions.check();
  }, UNSEEN_OPTIONS_CHECK_MS).unref();
  metrics.read({
    snapshot: () => store.current(),
    containers: () => toContainerCounts(following.watched()),
    engines: () => following.statuses(),
    grpcStreams: () => grpc.value?.streamCounts() ?? [],
    ...(certificates && {
      certificates: () => ({ items: certificates.status(), issuances: certificates.issuances() }),
    }),
  });
  return ok({
    port: server.port,
    grpcPort: grpc.value?.port,
    firstSync,
    done: following.done,
    async stop() {
      clearInterval(unseenTimer);
      certificates?.stop();
      await grpc.value?.close();
      await server.close(SHUTDOWN_GRACE_MS);
      await following.stop();
      await registrations.value.stop();
    },
  });
}

/** What the agent's HTTP app serves, and what its status page reads. */
interface AgentHttpParts {
  readonly config: Config;
  readonly store: SnapshotStore;
  readonly metrics: Metrics;
  readonly restPollers: RestPollers;
  readonly logger: Logger;
  readonly registrations: RegistrationSource;
  readonly writes: WriteAccess;
  readonly turns: TurnBudget;
  readonly startedAt: number;
  readonly notReadyReasons: () => string[];
  /** The engines and the gRPC server, once started. */
  readonly engines: () => Engines | undefined;
  readonly grpcServer: () => GrpcServer | undefined;
  /** The front door's certificates, when it serves HTTPS. */
  readonly certificates: Certificates | undefined;
}

/** The HTTP app: discovery, readiness, status, metrics and the registration API. */
function createAgentHttpApp(parts: AgentHttpParts): ReturnType<typeof createHttpApp> {
  const { config, store, metrics, restPollers, notReadyReasons } = parts;
  return createHttpApp({
    turns: parts.turns,
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
          startedAt: parts.startedAt,
          notReadyReasons: notReadyReasons(),
          labelPrefix: config.address.labelPrefix,
          snapshot: store.current(),
          engines: parts.engines()?.statuses() ?? [],
          containers: parts.engines()?.watched() ?? [],
          restPollers: restPollers.list(),
          grpcStreams: parts.grpcServer()?.streamStatus() ?? [],
          certificates: parts.certificates && {
            storePath: parts.certificates.storePath,
            items: parts.certificates.status(),
          },
        }),
      rootPem: parts.certificates && (() => parts.certificates?.rootPem),
    },
    logger: parts.logger,
    registration: { registrations: parts.registrations, writes: parts.writes },
  });
}

/** The gRPC xDS server on `--grpc-port`, or none when it is off. */
async function startConfiguredGrpcServer(
  config: Config,
  parts: Pick<GrpcServerOptions, 'store' | 'logger' | 'metrics' | 'turns'>,
): Promise<Result<GrpcServer | undefined>> {
  if (config.grpcPort === undefined) return ok(undefined);
  return startGrpcServer({
    ...parts,
    bind: config.bind,
    port: config.grpcPort,
    limits: config.grpcLimits,
    tls: config.grpcTls,
  });
}

/**
 * The store, awaiting every source: until each has read everything once, discovery answers
 * 503, never a partial set.
 */
function createAgentStore(config: Config, logger: Logger): SnapshotStore {
  return createSnapshotStore({
    logger,
    awaiting: [REGISTRATION_SOURCE, ...toEngineSyncNames(config.engines, config.swarm)],
    routeConfigName: config.routeConfigName,
    routeGraceMs: config.routeGraceMs,
    ...(config.frontDoor ? { frontDoor: config.frontDoor } : {}),
    ...(config.tls.upstreamCa === undefined ? {} : { upstreamCa: config.tls.upstreamCa }),
  });
}

/** The front door's certificates when it serves HTTPS (`--listen https=`), else none. */
async function startConfiguredCertificates(
  config: Config,
  store: SnapshotStore,
  logger: Logger,
  grpcServer: () => GrpcServer | undefined,
): Promise<Certificates | undefined> {
  if (!config.frontDoor?.https) return undefined;
  return startCertificates({
    store,
    logger,
    acme: config.tls.acme,
    httpRoutesAcked: async (since) =>
      (await grpcServer()?.untilAcked(
        ROUTE_CONFIGURATION_TYPE_URL,
        FRONT_HTTP_ROUTES,
        since,
        CHALLENGE_ACK_TIMEOUT_MS,
      )) ?? false,
    issuer: config.tls.issuer,
    storePath: config.tls.store,
    lifetimeMs: config.tls.lifetimeMs,
    certDir: config.tls.certDir,
  });
}

/** Each engine's client: the one given (for tests), or dockerode on the engine's endpoint. */
function toEngineClients(
  config: Config,
  deps: AgentDependencies,
): Result<{ name: string; client: DockerClient }[]> {
  const given = deps.dockerClient;
  const clients: { name: string; client: DockerClient }[] = [];
  const unusable: string[] = [];
  for (const engine of config.engines) {
    const client =
      given === undefined
        ? createDockerodeClient(engine.endpoint)
        : ok(typeof given === 'function' ? given(engine.name) : given);
    if (client.ok) clients.push({ name: engine.name, client: client.value });
    else unusable.push(...client.problems);
  }
  return unusable.length > 0 ? fail(unusable) : ok(clients);
}

/** Resolves once the store awaits no source's first read. */
function untilNothingAwaited(store: SnapshotStore): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = () => {
      if (store.current().awaiting.length === 0) {
        unsubscribe();
        resolve();
      }
    };
    const unsubscribe = store.subscribe(check);
  });
}

/**
 * Listens with the HTTP app on `--bind`/`--port`, over TLS when configured; a TLS file or an
 * address the agent cannot use comes back as a problem.
 */
async function listenHttp(
  app: Parameters<typeof startHttpServer>[0],
  config: Config,
  logger: Logger,
): Promise<Result<HttpServer>> {
  const files = config.httpTls;
  const content = files === undefined ? ok(undefined) : readTlsFiles(files, HTTP_TLS_FLAGS);
  if (!content.ok) return fail(content.problems);
  try {
    return ok(
      await startHttpServer(app, config.bind, config.port, {
        ...(files === undefined || content.value === undefined
          ? {}
          : { tls: { files, content: content.value, logger } }),
      }),
    );
  } catch (error) {
    const problem = toListenProblem(error, config.bind, config.port);
    if (problem === undefined) throw error;
    return fail([problem]);
  }
}

/** Says, once at start, where the agent listens, who may write, and what is left open. */
function logListening(
  config: Config,
  ports: { port: number; grpcPort: number | undefined },
  writes: WriteAccess,
  logger: Logger,
): void {
  logWriteAccess(writes, logger);
  logExposure(config, ports, logger);
  logger.info(
    {
      port: ports.port,
      grpcPort: ports.grpcPort ?? 'off',
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
      `the gRPC xDS server is plaintext with no authentication: anyone who reaches it reads every cluster, route and listener${config.frontDoor?.https ? ', and the private key of every certificate of the front door,' : ''}; serve it over mutual TLS with --grpc-tls-cert, --grpc-tls-key and --grpc-client-ca, or listen on loopback`,
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
