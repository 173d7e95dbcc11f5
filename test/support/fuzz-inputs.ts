import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

import fc from 'fast-check';

import {
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_CONFIGURATION_TYPE_URL,
} from '../../src/core/type-urls.js';

// What a fuzzer sends the agent: requests that are mostly almost right, as an attacker (or a
// broken client) writes them, so that they get past the first check and into the code behind.

/** The seed every fuzz run starts from, so a failure can be run again exactly. */
export const FUZZ_SEED = 19_000_019;

/** One raw HTTP request, sent on a connection of its own, half-closed or not. */
export interface RawHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  readonly halfClose: boolean;
  /** The Host header; the agent's own name (`eds-agent`) when absent. */
  readonly host?: string;
}

/** Host and Origin values, as a browser rebinding a name or a scanner would send them. */
const hostValue = fc.oneof(
  fc.constantFrom(
    'eds-agent',
    'evil.example:8080',
    '127.0.0.1:8080',
    '[::1]:8080',
    '[::1',
    'localhost.',
    'a.localhost',
    ':8080',
    'x'.repeat(300),
  ),
  fc.string({ maxLength: 40 }),
);
const originValue = fc.oneof(
  fc.constantFrom('null', 'http://evil.example', 'http://127.0.0.1:8080', 'not a url', 'file://'),
  fc.string({ maxLength: 40 }),
);

const name = fc.oneof(
  fc.constantFrom('web', 'api', 'grpc/web', 'eds-agent', '', '*', '__proto__', 'constructor'),
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 200, maxLength: 600 }),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{1,20}$/),
);
const segment = fc.oneof(
  name.map(encodeURIComponent),
  fc.constantFrom('%', '%ff', '%00', '..', '.', '%2F', 'a%zz', '[::1]:80', '10.0.0.1:8080'),
  fc.string({ maxLength: 30 }).map((text) => text.replaceAll(/[\s?#]/g, '')),
);
const hostKey = fc.oneof(
  fc.tuple(fc.ipV4(), fc.integer({ min: -1, max: 70_000 })).map(([ip, port]) => `${ip}:${port}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 })).map(([ip, port]) => `[${ip}]:${port}`),
  segment,
);
const path = fc.oneof(
  fc.constantFrom(
    '/v3/discovery:endpoints',
    '/v2/discovery:endpoints',
    '/v3/discovery:clusters',
    '/healthz',
    '/readyz',
    '/status',
    '/metrics',
    '/',
    '/edsservice',
    '/v1/registration',
  ),
  segment.map((service) => `/edsservice/${service}`),
  fc.tuple(segment, hostKey).map(([service, host]) => `/edsservice/${service}/hosts/${host}`),
  segment.map((service) => `/v1/registration/${service}`),
  fc.array(segment, { maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
);
const query = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 30 }).map((text) => `?${encodeURIComponent(text)}`),
  fc.constant('?resource_names=web'),
);

const host = fc.record(
  {
    ip_address: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 })),
    port: fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.string({ maxLength: 6 })),
    tags: fc.dictionary(
      fc.oneof(fc.constantFrom('az', 'region', 'canary', 'load_balancing_weight'), fc.string()),
      fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.double()),
      { maxKeys: 4 },
    ),
    ttl_seconds: fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.double()),
  },
  { requiredKeys: [] },
);
const discoveryRequest = fc.record(
  {
    version_info: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null)),
    node: fc.oneof(
      fc.record({ id: fc.string({ maxLength: 50 }), cluster: fc.string({ maxLength: 10 }) }),
      fc.string(),
      fc.constant(null),
    ),
    resource_names: fc.oneof(
      fc.array(name, { maxLength: 110 }),
      fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.object()), { maxLength: 3 }),
      fc.string(),
    ),
    type_url: fc.oneof(
      fc.constantFrom(
        CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
        'type.googleapis.com/envoy.api.v2.ClusterLoadAssignment',
      ),
      fc.string({ maxLength: 30 }),
    ),
  },
  { requiredKeys: [] },
);
/** A JSON body the agent parses: a discovery request, a registration, or anything. */
const jsonBody = fc.oneof(
  discoveryRequest,
  fc.record(
    { hosts: fc.oneof(fc.array(host, { maxLength: 6 }), fc.anything()) },
    { requiredKeys: [] },
  ),
  host,
  fc.jsonValue({ maxDepth: 4 }),
);
const encoding = fc.constantFrom('identity', 'gzip', 'deflate', 'br', 'gzip, br', 'x-unknown', '');

/** An HTTP request the agent must answer, with a status below 500. */
export const anyHttpRequest: fc.Arbitrary<RawHttpRequest> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'BREW'),
    path: fc.tuple(path, query).map(([base, search]) => `${base}${search}`),
    json: jsonBody,
    raw: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(undefined)),
    padding: fc.oneof(fc.constant(0), fc.integer({ min: 1000, max: 80_000 })),
    encoding,
    encodeAsSaid: fc.boolean(),
    contentType: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'text/plain',
      'application/vnd.api+json',
      '',
    ),
    authorization: fc.oneof(
      fc.constant(undefined),
      fc.constantFrom('Bearer', 'Bearer x', 'Basic abc'),
    ),
    halfClose: fc.boolean(),
    host: fc.oneof(fc.constant(undefined), hostValue),
    origin: fc.oneof(fc.constant(undefined), originValue),
  })
  .map((input) => {
    const text =
      input.raw !== undefined
        ? Buffer.from(input.raw)
        : Buffer.from(
            JSON.stringify(
              input.padding > 0 &&
                typeof input.json === 'object' &&
                input.json !== null &&
                !Array.isArray(input.json)
                ? { ...input.json, padding: 'x'.repeat(input.padding) }
                : input.json,
            ),
          );
    const body = input.encodeAsSaid ? compress(text, input.encoding) : text;
    const headers: [string, string][] = [];
    if (input.contentType !== '') headers.push(['Content-Type', input.contentType]);
    if (input.encoding !== '') headers.push(['Content-Encoding', input.encoding]);
    if (input.authorization) headers.push(['Authorization', input.authorization]);
    if (input.origin !== undefined) headers.push(['Origin', input.origin]);
    return {
      method: input.method,
      path: input.path,
      headers,
      body,
      halfClose: input.halfClose,
      ...(input.host === undefined ? {} : { host: input.host }),
    };
  });

function compress(body: Buffer, encoding: string): Buffer {
  switch (encoding) {
    case 'gzip':
      return gzipSync(body);
    case 'deflate':
      return deflateSync(body);
    case 'br':
      return brotliCompressSync(body);
    default:
      return body;
  }
}

/** The agent's gRPC methods: each service's state-of-the-world and delta method. */
export const GRPC_METHODS = [
  ['discovery.v3.AggregatedDiscoveryService', 'AggregatedResources'],
  ['endpoint.v3.EndpointDiscoveryService', 'Endpoints'],
  ['cluster.v3.ClusterDiscoveryService', 'Clusters'],
  ['listener.v3.ListenerDiscoveryService', 'Listeners'],
  ['route.v3.RouteDiscoveryService', 'Routes'],
].flatMap(([service, resources]) =>
  (['sotw', 'delta'] as const).map((kind) => ({
    kind,
    path: `/envoy.service.${service}/${kind === 'sotw' ? 'Stream' : 'Delta'}${resources}`,
  })),
);

const typeUrl = fc.oneof(
  fc.constantFrom(
    CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
    CLUSTER_TYPE_URL,
    LISTENER_TYPE_URL,
    ROUTE_CONFIGURATION_TYPE_URL,
    '',
  ),
  fc.string({ maxLength: 40 }),
);
const names = fc.oneof(
  fc.array(name, { maxLength: 30 }),
  fc.constant(['*']),
  // Past the limit of names per request, and just within it.
  fc.constantFrom(10_001, 10_000).map((count) => Array.from({ length: count }, (_, i) => `n${i}`)),
);
const nonce = fc.oneof(
  fc.constant(''),
  fc.constantFrom('1', '2', '3'),
  fc.string({ maxLength: 10 }),
);
const errorDetail = fc.oneof(
  fc.constant(undefined),
  fc.record({ code: fc.integer({ min: 0, max: 16 }), message: fc.string({ maxLength: 300 }) }),
);
const node = fc.oneof(
  fc.constant(undefined),
  fc.record({ id: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('n'.repeat(20_000))) }),
);

/** One message of a gRPC stream: one the protos describe, or bytes that may not decode. */
export type GrpcMessage =
  | { readonly kind: 'sotw' | 'delta'; readonly fields: Record<string, unknown> }
  | { readonly kind: 'bytes'; readonly bytes: Buffer };

const sotwFields = fc.record(
  {
    node,
    type_url: typeUrl,
    resource_names: names,
    version_info: fc.string({ maxLength: 20 }),
    response_nonce: nonce,
    error_detail: errorDetail,
  },
  { requiredKeys: [] },
);
const deltaFields = fc.record(
  {
    node,
    type_url: typeUrl,
    resource_names_subscribe: names,
    resource_names_unsubscribe: names,
    initial_resource_versions: fc.dictionary(
      fc.string({ maxLength: 10 }),
      fc.string({ maxLength: 10 }),
      {
        maxKeys: 5,
      },
    ),
    response_nonce: nonce,
    error_detail: errorDetail,
  },
  { requiredKeys: [] },
);

/** A stream: one of the methods, and what the client sends on it before it ends its side. */
export const anyGrpcStream = fc
  .record({ method: fc.nat(GRPC_METHODS.length - 1), count: fc.integer({ min: 0, max: 4 }) })
  .chain(({ method, count }) => {
    const { kind, path: methodPath } = GRPC_METHODS[method] ?? { kind: 'sotw', path: '' };
    const message: fc.Arbitrary<GrpcMessage> = fc.oneof(
      {
        weight: 4,
        arbitrary: (kind === 'sotw' ? sotwFields : deltaFields).map((fields) => ({ kind, fields })),
      },
      {
        weight: 1,
        arbitrary: fc
          .uint8Array({ maxLength: 200 })
          .map((bytes) => ({ kind: 'bytes' as const, bytes: Buffer.from(bytes) })),
      },
    );
    return fc.record({
      path: fc.constant(methodPath),
      kind: fc.constant(kind),
      messages: fc.array(message, { minLength: count, maxLength: count }),
    });
  });
