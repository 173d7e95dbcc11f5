import { readFileSync } from 'node:fs';

import type protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';

import { buildEnvoyDescriptor, DESCRIPTOR_PATH } from '../../scripts/build-envoy-descriptor.js';
import { Duration } from '../../src/core/duration.js';
import { buildCluster } from '../../src/core/envoy/build-cluster.js';
import { buildApiListener } from '../../src/core/envoy/build-listener.js';
import {
  buildGrpcRouteConfiguration,
  buildRouteConfiguration,
} from '../../src/core/envoy/build-route-configuration.js';
import { DEFAULT_SERVICE_OPTIONS } from '../../src/core/labels/service-options.js';
import {
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_CONFIGURATION_TYPE_URL,
} from '../../src/core/type-urls.js';
import { packAny } from '../../src/transports/grpc/encode-proto3-json.js';
import {
  DISCOVERY_MESSAGES,
  ENVOY_PROTO_MESSAGES,
  loadEnvoyProtos,
} from '../../src/transports/grpc/load-envoy-protos.js';
import { anEndpoint } from '../support/records.js';
import { buildClusterLoadAssignment } from '../support/reference-cluster-load-assignment.js';
import { loadEnvoyProtos as loadProtoFiles } from './support/load-envoy-protos.js';

// The agent reads no .proto file: it loads a descriptor generated from Envoy's own files
// (`npm run gen:protos`). These tests hold the committed file to its generator, and what the
// agent encodes with it to what Envoy's own definitions encode, byte for byte.

/** One of each resource the agent serves, with every optional part it can carry. */
const served: readonly [typeUrl: string, json: object][] = [
  [
    CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
    buildClusterLoadAssignment('web', [
      anEndpoint({ address: '10.0.0.1', weight: 3, canary: true }),
      anEndpoint({ address: '10.0.0.2', health: 'draining', priority: 1 }),
      anEndpoint({
        address: 'fd00::1',
        hostname: '',
        source: 'api',
        locality: { region: 'eu', zone: 'eu-1a', subZone: 'rack-2' },
      }),
    ]),
  ],
  [CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, buildClusterLoadAssignment('empty', [])],
  [CLUSTER_TYPE_URL, buildCluster('web')],
  [
    CLUSTER_TYPE_URL,
    buildCluster('api', {
      ...DEFAULT_SERVICE_OPTIONS,
      lb_policy: 'MAGLEV',
      connect_timeout: Duration.ofMs(250),
    }),
  ],
  [LISTENER_TYPE_URL, buildApiListener('web')],
  [ROUTE_CONFIGURATION_TYPE_URL, buildGrpcRouteConfiguration('web')],
  [
    ROUTE_CONFIGURATION_TYPE_URL,
    buildRouteConfiguration('eds-agent', [
      { service: 'web', options: DEFAULT_SERVICE_OPTIONS },
      {
        service: 'api',
        options: {
          ...DEFAULT_SERVICE_OPTIONS,
          domains: ['shop.test', '*.api.test'],
          path_prefix: '/v1',
        },
      },
    ]).json,
  ],
];

const pack = (root: protobuf.Root, typeUrl: string, json: object) =>
  Buffer.from(packAny(root, { '@type': typeUrl, ...json }).value).toString('hex');

describe("the agent's descriptor of Envoy's messages", () => {
  it('is exactly what `npm run gen:protos` writes from the pinned sources', () => {
    expect(
      readFileSync(DESCRIPTOR_PATH, 'utf8'),
      'the committed descriptor is not what `npm run gen:protos` writes now: run it',
    ).toBe(buildEnvoyDescriptor());
  }, 30_000);

  it('holds every message of the proto set', () => {
    const root = loadEnvoyProtos();
    expect(ENVOY_PROTO_MESSAGES.map((name) => root.lookupType(name).fullName)).toEqual(
      ENVOY_PROTO_MESSAGES.map((name) => `.${name}`),
    );
  });

  it.each(
    served.map(
      ([typeUrl, json]) => [typeUrl.slice(typeUrl.lastIndexOf('.') + 1), typeUrl, json] as const,
    ),
  )('encodes a %s to the same bytes as Envoy’s .proto files do', (_name, typeUrl, json) => {
    expect(pack(loadEnvoyProtos(), typeUrl, json)).toBe(pack(loadProtoFiles(), typeUrl, json));
  });

  it.each(['sotw', 'delta'] as const)(
    'encodes and decodes the %s discovery messages as Envoy’s .proto files do',
    (kind) => {
      const ours = loadEnvoyProtos();
      const envoys = loadProtoFiles();
      const [typeUrl, json] = served[0] ?? ['', {}];
      const any = packAny(envoys, { '@type': typeUrl, ...json });
      const response =
        kind === 'sotw'
          ? { version_info: 'v1', resources: [any], type_url: typeUrl, nonce: '1' }
          : {
              system_version_info: '',
              resources: [{ name: 'web', version: 'v1', resource: any }],
              removed_resources: ['api'],
              type_url: typeUrl,
              nonce: '1',
            };
      const request = {
        node: {
          id: 'front-proxy',
          cluster: 'edge',
          metadata: { fields: { zone: { string_value: 'eu-1a' } } },
          locality: { zone: 'eu-1a' },
        },
        type_url: typeUrl,
        response_nonce: '1',
        error_detail: { code: 3, message: 'refused' },
        ...(kind === 'sotw'
          ? { resource_names: ['web', 'api'], version_info: 'v0' }
          : { resource_names_subscribe: ['web'], initial_resource_versions: { api: 'v0' } }),
      };
      for (const [message, value] of [
        [DISCOVERY_MESSAGES[kind].response, response],
        [DISCOVERY_MESSAGES[kind].request, request],
      ] as const) {
        const encode = (root: protobuf.Root) => {
          const type = root.lookupType(message);
          return Buffer.from(type.encode(type.fromObject(value)).finish());
        };
        const bytes = encode(envoys);
        expect(encode(ours).equals(bytes)).toBe(true);
        const decode = (root: protobuf.Root) =>
          root.lookupType(message).toObject(root.lookupType(message).decode(bytes), {
            longs: String,
            enums: String,
          });
        expect(decode(ours)).toEqual(decode(envoys));
      }
    },
  );
});
