import { createHash } from 'node:crypto';

import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type protobuf from 'protobufjs';

import { buildCluster, CLUSTER_TYPE_URL } from '../../core/build-cluster.js';
import { fail, ok, type Result } from '../../core/result.js';
import { toClusterResource, type ClusterResource } from '../../core/snapshot.js';
import type { SnapshotStore } from '../../snapshot-store.js';
import { packAny, type AnyMessage } from './encode-proto3-json.js';
import { loadEnvoyProtos, XDS_PROTO_FILES } from './load-envoy-protos.js';
import {
  SotwStream,
  type DiscoveryRequestFields,
  type SotwResponse,
  type XdsResources,
} from './sotw-stream.js';

/** The type URL of an Envoy v3 `ClusterLoadAssignment`. */
export const ENDPOINTS_TYPE_URL =
  'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

/** The state-of-the-world services, each with the types it serves and its method's path. */
const SERVICES = [
  {
    name: 'AggregatedDiscoveryService',
    method: 'StreamAggregatedResources',
    path: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
    types: [CLUSTER_TYPE_URL, ENDPOINTS_TYPE_URL],
  },
  {
    name: 'EndpointDiscoveryService',
    method: 'StreamEndpoints',
    path: '/envoy.service.endpoint.v3.EndpointDiscoveryService/StreamEndpoints',
    types: [ENDPOINTS_TYPE_URL],
  },
  {
    name: 'ClusterDiscoveryService',
    method: 'StreamClusters',
    path: '/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters',
    types: [CLUSTER_TYPE_URL],
  },
] as const;

export interface GrpcServerOptions {
  readonly store: SnapshotStore;
  readonly logger: Logger;
  readonly bind: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface GrpcServer {
  readonly port: number;
  /** Streams open now, and NACKs received since the start. */
  stats(): { streams: number; nacks: number };
  /** Ends every stream (UNAVAILABLE: clients reconnect elsewhere or later) and stops. */
  close(): Promise<void>;
}

/**
 * The xDS server over gRPC: state-of-the-world ADS (clusters and endpoints), and EDS and CDS
 * each on its own service. Every change of the snapshot is pushed at once to the streams
 * subscribed to what changed. Fails (a Result) when the port cannot be bound.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<Result<GrpcServer>> {
  const { store, logger } = options;
  const root = loadEnvoyProtos(XDS_PROTO_FILES);
  const resources = createResources(root, store);
  const streams = new Set<SotwStream>();
  const calls = new Set<grpc.ServerDuplexStream<DiscoveryRequestFields, SotwResponse>>();
  let nacks = 0;
  const unsubscribe = store.subscribe((changed) => {
    for (const stream of streams) stream.onChange(changed);
  });

  const server = new grpc.Server({
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
  });
  for (const service of SERVICES) {
    const definition = toServiceDefinition(root, service.path, service.method);
    const defaultType = service.types.length === 1 ? service.types[0] : undefined;
    server.addService(definition, {
      [service.method]: (call: grpc.ServerDuplexStream<DiscoveryRequestFields, SotwResponse>) => {
        const stream = new SotwStream(
          resources,
          new Set(service.types),
          new Set([CLUSTER_TYPE_URL]),
          writeLatest(call),
          (nack) => {
            nacks += 1;
            logger.warn(
              {
                node: nack.nodeId,
                typeUrl: nack.typeUrl,
                version: nack.version,
                error: nack.message,
              },
              'the client refused a response (NACK); it is not sent again',
            );
          },
        );
        streams.add(stream);
        calls.add(call);
        const done = () => {
          streams.delete(stream);
          calls.delete(call);
        };
        call.on('data', (request: DiscoveryRequestFields) => {
          stream.onRequest(request, defaultType);
        });
        call.on('end', () => {
          done();
          call.end();
        });
        call.on('error', done);
        call.on('cancelled', done);
      },
    });
  }

  const port = await new Promise<Result<number>>((resolve) => {
    server.bindAsync(
      `${options.bind.includes(':') ? `[${options.bind}]` : options.bind}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => {
        resolve(
          error
            ? fail([
                `--grpc-port ${options.port}: cannot listen on ${options.bind} (${error.message})`,
              ])
            : ok(bound),
        );
      },
    );
  });
  if (!port.ok) {
    unsubscribe();
    server.forceShutdown();
    return port;
  }
  return ok({
    port: port.value,
    stats: () => ({ streams: streams.size, nacks }),
    close: async () => {
      unsubscribe();
      for (const call of calls) {
        call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'eds-agent is stopping' });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  });
}

/**
 * Writes responses to a stream with bounded memory: while the client does not read (the
 * write buffer is full), only the latest response of each type waits; older ones are dropped,
 * since a newer state of the world replaces them.
 */
function writeLatest(
  call: grpc.ServerDuplexStream<DiscoveryRequestFields, SotwResponse>,
): (response: SotwResponse) => void {
  const waiting = new Map<string, SotwResponse>();
  let blocked = false;
  call.on('drain', () => {
    blocked = false;
    const queued = [...waiting.values()];
    waiting.clear();
    for (const response of queued) write(response);
  });
  const write = (response: SotwResponse) => {
    if (blocked) {
      waiting.set(response.type_url, response);
      return;
    }
    if (!call.write(response)) blocked = true;
  };
  return write;
}

/** The snapshot's clusters and endpoints, each packed once per version. */
function createResources(root: protobuf.Root, store: SnapshotStore): XdsResources {
  const assignments = new WeakMap<ClusterResource, AnyMessage>();
  const clusters = new Map<string, { version: string; any: AnyMessage }>();
  return {
    ready: () => store.current().awaiting.length === 0,
    names: (typeUrl) =>
      typeUrl === CLUSTER_TYPE_URL ? [...store.current().clusters.keys()].sort() : [],
    resource(typeUrl, name) {
      const snapshot = store.current();
      if (typeUrl === ENDPOINTS_TYPE_URL) {
        const resource = toClusterResource(snapshot, name);
        let any = assignments.get(resource);
        if (!any) {
          any = packAny(root, { '@type': ENDPOINTS_TYPE_URL, ...resource.assignment });
          assignments.set(resource, any);
        }
        return { version: resource.version, any };
      }
      if (!snapshot.clusters.has(name)) return undefined;
      let cluster = clusters.get(name);
      if (!cluster) {
        const json = buildCluster(name);
        cluster = {
          version: createHash('sha256').update(JSON.stringify(json)).digest('hex').slice(0, 16),
          any: packAny(root, { '@type': CLUSTER_TYPE_URL, ...json }),
        };
        clusters.set(name, cluster);
      }
      return cluster;
    },
  };
}

/** A bidirectional-streaming method of Envoy's discovery API, with protobuf (de)serializers. */
export function toServiceDefinition(
  root: protobuf.Root,
  path: string,
  method: string,
): grpc.ServiceDefinition {
  const request = root.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
  const response = root.lookupType('envoy.service.discovery.v3.DiscoveryResponse');
  const toObject = { longs: String, enums: String, defaults: false, arrays: true } as const;
  return {
    [method]: {
      path,
      requestStream: true,
      responseStream: true,
      originalName: method,
      requestSerialize: (value: object) =>
        Buffer.from(request.encode(request.fromObject(value)).finish()),
      requestDeserialize: (bytes: Buffer) => request.toObject(request.decode(bytes), toObject),
      responseSerialize: (value: object) =>
        Buffer.from(response.encode(response.fromObject(value)).finish()),
      responseDeserialize: (bytes: Buffer) => response.toObject(response.decode(bytes), toObject),
    },
  };
}
