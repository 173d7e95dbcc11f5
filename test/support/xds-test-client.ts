import { Writable } from 'node:stream';

import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';

import type { GrpcLimits } from '../../src/config/grpc-limits.js';
import {
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL as EDS,
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_CONFIGURATION_TYPE_URL,
  SECRET_TYPE_URL,
} from '../../src/core/type-urls.js';
import { createSnapshotStore, type SnapshotStore } from '../../src/snapshot-store.js';
import { loadEnvoyProtos } from '../../src/transports/grpc/load-envoy-protos.js';
import { type GrpcServer, startGrpcServer } from '../../src/transports/grpc/start-grpc-server.js';
import { toServiceDefinition } from '../../src/transports/grpc/to-service-definition.js';
import { anEndpoint } from './records.js';

// The four resource types, as the tests name them.
export const CDS = CLUSTER_TYPE_URL;
export { EDS };
export const LDS = LISTENER_TYPE_URL;
export const RDS = ROUTE_CONFIGURATION_TYPE_URL;
export const SDS = SECRET_TYPE_URL;

// A gRPC client written in the tests, from the same protos: the server's own encoding is not
// trusted to decode what it sent.
const root = loadEnvoyProtos();
const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService';
const clients = {
  sotw: grpc.makeGenericClientConstructor(
    toServiceDefinition(root, `${ADS}/StreamAggregatedResources`, 'call', 'sotw'),
    'AggregatedDiscoveryService',
  ),
  delta: grpc.makeGenericClientConstructor(
    toServiceDefinition(root, `${ADS}/DeltaAggregatedResources`, 'call', 'delta'),
    'AggregatedDiscoveryService',
  ),
  eds: grpc.makeGenericClientConstructor(
    toServiceDefinition(
      root,
      '/envoy.service.endpoint.v3.EndpointDiscoveryService/DeltaEndpoints',
      'call',
      'delta',
    ),
    'EndpointDiscoveryService',
  ),
  cds: grpc.makeGenericClientConstructor(
    toServiceDefinition(
      root,
      '/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters',
      'call',
      'sotw',
    ),
    'ClusterDiscoveryService',
  ),
};

export interface Response {
  version_info: string;
  nonce: string;
  type_url: string;
  /** Delta only: what was removed, and each resource's name and version as sent. */
  removed_resources?: string[];
  raw?: { name: string; version: string }[];
  /**
   * Decoded: each assignment's endpoint addresses, each cluster's type and EDS config, each
   * listener's route configuration, each route configuration's virtual hosts.
   */
  resources: {
    name: string;
    addresses?: string[];
    type?: string;
    ads?: boolean;
    lbPolicy?: string;
    connectTimeoutMs?: number;
    routeConfigName?: string;
    /** A TCP listener's port. */
    port?: number;
    /** `name: domains → prefix=cluster, ...` per virtual host. */
    virtualHosts?: string[];
    /** A secret's certificate chain (its key is not kept). */
    certificateChain?: string;
  }[];
}

/** A client's ADS stream, as a scenario drives it. */
export interface AdsStream {
  send(request: Record<string, unknown>): void;
  /** The next response (within 2 s). */
  next(): Promise<Response>;
  /** Resolves true when no response arrives within `ms`. */
  quietFor(ms: number): Promise<boolean>;
  /** How the stream ended, once it has. */
  status(): grpc.StatusObject | undefined;
  /** Drops the stream, as a client going away does. */
  cancel(): void;
  /** Stops reading (as a stuck client), and reads again. */
  pause(): void;
  resume(): void;
  /** Every response received and not yet taken by `next`, taken now. */
  drained(): Response[];
}

const closers: (() => Promise<void> | void)[] = [];
/** Closes every server and stream started since the last call: each test's `afterEach`. */
export async function closeAll(): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close();
}

/** How a test client reaches the server: where, and on a connection of its own or a shared one. */
export interface ConnectOptions {
  /** `127.0.0.1` unless given (`::1` is another client address, for a server bound to `::`). */
  readonly host?: string;
  /** A connection of its own; otherwise grpc-js shares one between clients to the same host. */
  readonly ownConnection?: boolean;
  /** How to reach a server over TLS; plaintext by default. */
  readonly credentials?: grpc.ChannelCredentials;
}

/** A gRPC xDS server on a store of its own, with its log lines kept. */
export async function startServer(
  awaiting: string[] = [],
  limits: Partial<GrpcLimits> = {},
  bind = '127.0.0.1',
) {
  const logs: { level: number; msg: string; [key: string]: unknown }[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line) logs.push(JSON.parse(line) as (typeof logs)[number]);
        done();
      },
    }),
  );
  const store = createSnapshotStore({ awaiting });
  const started = await startGrpcServer({
    store,
    logger,
    bind,
    port: 0,
    limits,
  });
  if (!started.ok) throw new Error(started.problems.join());
  const server: GrpcServer = started.value;
  closers.push(() => server.close());
  return {
    store,
    server,
    logs,
    connect: (options?: ConnectOptions) => connectAds(server.port, 'sotw', options),
    connectDelta: (options?: ConnectOptions) => connectAds(server.port, 'delta', options),
    connectTo: (service: keyof typeof clients) => connectAds(server.port, service),
  };
}

/** Opens a stream of `kind` (ADS state of the world or delta, or one type's service) to `port`. */
export function connectAds(
  port: number,
  kind: keyof typeof clients,
  { host = '127.0.0.1', ownConnection = false, credentials }: ConnectOptions = {},
): AdsStream {
  const client = new clients[kind](
    `${host.includes(':') ? `[${host}]` : host}:${port}`,
    credentials ?? grpc.credentials.createInsecure(),
    ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {},
  );
  const methods = client as unknown as { call: () => grpc.ClientDuplexStream<unknown, unknown> };
  const call = methods.call();
  call.on('error', () => undefined);
  closers.push(() => {
    call.cancel();
    client.close();
  });
  const received: Response[] = [];
  let status: grpc.StatusObject | undefined;
  call.on('status', (ended: grpc.StatusObject) => (status = ended));
  const waiters: ((response: Response) => void)[] = [];
  call.on(
    'data',
    (raw: {
      version_info: string;
      nonce: string;
      type_url: string;
      resources?: ({ value: Uint8Array } | { name: string; resource: { value: Uint8Array } })[];
      removed_resources?: string[];
    }) => {
      const response: Response = {
        ...raw,
        // Delta wraps each resource in a Resource with its name and version.
        resources: (raw.resources ?? []).map((item) =>
          decode(raw.type_url, 'resource' in item ? item.resource.value : item.value),
        ),
        raw: (raw.resources ?? []).flatMap((item) =>
          'resource' in item ? [item as unknown as { name: string; version: string }] : [],
        ),
      };
      const waiter = waiters.shift();
      if (waiter) waiter(response);
      else received.push(response);
    },
  );
  return {
    send: (request) => {
      call.write({ node: { id: 'test-node', cluster: 'test' }, ...request });
    },
    next: () =>
      new Promise((resolve, reject) => {
        const queued = received.shift();
        if (queued) {
          resolve(queued);
          return;
        }
        const timer = setTimeout(() => {
          reject(new Error('no response within 2 s'));
        }, 2000);
        waiters.push((response) => {
          clearTimeout(timer);
          resolve(response);
        });
      }),
    status: () => status,
    cancel: () => {
      call.cancel();
    },
    pause: () => call.pause(),
    resume: () => call.resume(),
    drained: () => received.splice(0),
    quietFor: async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return received.length === 0;
    },
  };
}

function toObject(typeName: string, value: Uint8Array): unknown {
  const type = root.lookupType(typeName);
  return type.toObject(type.decode(value), { enums: String, longs: Number });
}

function decode(typeUrl: string, value: Uint8Array): Response['resources'][number] {
  if (typeUrl === EDS) {
    const type = root.lookupType('envoy.config.endpoint.v3.ClusterLoadAssignment');
    const cla = type.toObject(type.decode(value)) as {
      cluster_name: string;
      endpoints?: {
        lb_endpoints?: { endpoint: { address: { socket_address: { address: string } } } }[];
      }[];
    };
    return {
      name: cla.cluster_name,
      addresses: (cla.endpoints ?? [])
        .flatMap((locality) => locality.lb_endpoints ?? [])
        .map((lb) => lb.endpoint.address.socket_address.address)
        .sort(),
    };
  }
  if (typeUrl === LDS) {
    const listener = toObject('envoy.config.listener.v3.Listener', value) as {
      name: string;
      api_listener?: { api_listener: { value: Uint8Array } };
      address?: { socket_address: { port_value: number } };
    };
    if (!listener.api_listener)
      return { name: listener.name, port: listener.address?.socket_address.port_value ?? 0 };
    const manager = toObject(
      'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      listener.api_listener.api_listener.value,
    ) as { rds: { route_config_name: string; config_source: { ads?: object } } };
    return {
      name: listener.name,
      routeConfigName: manager.rds.route_config_name,
      ads: manager.rds.config_source.ads !== undefined,
    };
  }
  if (typeUrl === SDS) {
    const secret = toObject('envoy.extensions.transport_sockets.tls.v3.Secret', value) as {
      name: string;
      tls_certificate: { certificate_chain: { inline_string: string } };
    };
    return {
      name: secret.name,
      certificateChain: secret.tls_certificate.certificate_chain.inline_string,
    };
  }
  if (typeUrl === RDS) {
    const routes = toObject('envoy.config.route.v3.RouteConfiguration', value) as {
      name: string;
      virtual_hosts?: {
        name: string;
        domains: string[];
        routes: {
          match: { prefix?: string; path_separated_prefix?: string };
          route: { cluster: string };
        }[];
      }[];
    };
    return {
      name: routes.name,
      virtualHosts: (routes.virtual_hosts ?? []).map(
        (host) =>
          `${host.name}: ${host.domains.join(' ')} → ${host.routes
            .map((r) => `${r.match.prefix ?? r.match.path_separated_prefix}=${r.route.cluster}`)
            .join(', ')}`,
      ),
    };
  }
  const type = root.lookupType('envoy.config.cluster.v3.Cluster');
  const cluster = type.toObject(type.decode(value), { enums: String, longs: Number }) as {
    name: string;
    type: string;
    lb_policy?: string;
    connect_timeout?: { seconds?: number; nanos?: number };
    eds_cluster_config?: { eds_config?: { ads?: object } };
  };
  return {
    name: cluster.name,
    type: cluster.type,
    ads: cluster.eds_cluster_config?.eds_config?.ads !== undefined,
    lbPolicy: cluster.lb_policy ?? 'ROUND_ROBIN',
    connectTimeoutMs:
      (cluster.connect_timeout?.seconds ?? 0) * 1000 + (cluster.connect_timeout?.nanos ?? 0) / 1e6,
  };
}

/** Serves `addresses` as the one container of `cluster`, replacing what it served. */
export const serve = (store: SnapshotStore, cluster: string, ...addresses: string[]) =>
  store.apply([
    [`docker:${cluster}`, addresses.map((address) => anEndpoint({ cluster, address }))],
  ]);
