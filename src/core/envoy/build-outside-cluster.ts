import { isIP } from 'node:net';

import type { Duration } from '../duration.js';
import { DEFAULT_CONNECT_TIMEOUT } from '../labels/option-values.js';
import type { AuthUrl } from '../labels/parse-edge-values.js';
import { UPSTREAM_TLS_CONTEXT_TYPE_URL } from '../type-urls.js';

/** A host outside the stack that an auth label names (`https://<host>[:<port>]/…`). */
export type OutsideUrl = Extract<AuthUrl, { kind: 'outside' }>;

/** An Envoy v3 `Cluster` of one host outside the stack, in proto3 JSON. */
export interface OutsideClusterJson {
  readonly name: string;
  readonly type: 'LOGICAL_DNS';
  readonly connect_timeout: Duration;
  readonly dns_lookup_family: 'V4_PREFERRED';
  readonly load_assignment: {
    readonly cluster_name: string;
    readonly endpoints: readonly [
      {
        readonly lb_endpoints: readonly [
          {
            readonly endpoint: {
              readonly address: {
                readonly socket_address: { readonly address: string; readonly port_value: number };
              };
            };
          },
        ];
      },
    ];
  };
  readonly transport_socket: {
    readonly name: 'envoy.transport_sockets.tls';
    readonly typed_config: {
      readonly '@type': typeof UPSTREAM_TLS_CONTEXT_TYPE_URL;
      readonly sni?: string;
      readonly common_tls_context: {
        readonly validation_context: {
          readonly trusted_ca: { readonly inline_string: string };
          readonly match_typed_subject_alt_names: readonly [
            {
              readonly san_type: 'DNS' | 'IP_ADDRESS';
              readonly matcher: { readonly exact: string };
            },
          ];
        };
      };
    };
  };
}

/**
 * The cluster name of an outside host: `outside/<host>:<port>`. No service is named so (a
 * service name holds no `/`), and every label naming the same host and port shares it.
 */
export function toOutsideClusterName(url: OutsideUrl): string {
  return `outside/${url.host}:${url.port}`;
}

/**
 * The cluster Envoy reaches an outside host by: its name resolved by DNS (the first address,
 * IPv4 preferred), over TLS whose certificate must chain to `upstreamCa` (`--upstream-ca`) and
 * name the host (a DNS name also sent as SNI; an IPv4 address matched as one). Pure.
 */
export function buildOutsideCluster(url: OutsideUrl, upstreamCa: string): OutsideClusterJson {
  const name = toOutsideClusterName(url);
  const literal = isIP(url.host) !== 0;
  return {
    name,
    type: 'LOGICAL_DNS',
    connect_timeout: DEFAULT_CONNECT_TIMEOUT,
    dns_lookup_family: 'V4_PREFERRED',
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: {
                address: { socket_address: { address: url.host, port_value: url.port } },
              },
            },
          ],
        },
      ],
    },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': UPSTREAM_TLS_CONTEXT_TYPE_URL,
        ...(literal ? {} : { sni: url.host }),
        common_tls_context: {
          validation_context: {
            trusted_ca: { inline_string: upstreamCa },
            match_typed_subject_alt_names: [
              { san_type: literal ? 'IP_ADDRESS' : 'DNS', matcher: { exact: url.host } },
            ],
          },
        },
      },
    },
  };
}
