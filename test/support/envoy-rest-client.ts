import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { TLSSocket } from 'node:tls';

import { ENVOY_NODE } from './envoy-node.js';

/** What the server answered, as Envoy's REST subscription sees it. */
export interface EdsReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Raw body; empty for a 304. */
  readonly text: string;
  /** Parsed body for a 200 JSON answer. */
  readonly json: DiscoveryResponseJson | undefined;
  /** Over HTTPS, the SHA-256 fingerprint of the certificate the agent showed. */
  readonly peerFingerprint?: string;
}

/** The parts of a DiscoveryResponse tests read. */
export interface DiscoveryResponseJson {
  version_info: string;
  type_url: string;
  resources: { '@type': string; cluster_name: string; endpoints: LocalityJson[] }[];
}
export interface LocalityJson {
  locality?: { region?: string; zone?: string; sub_zone?: string };
  priority?: number;
  lb_endpoints: {
    endpoint: {
      address: { socket_address: { address: string; port_value: number } };
      hostname: string;
    };
    health_status: string;
    load_balancing_weight?: number;
    metadata?: unknown;
  }[];
}

/**
 * One REST EDS poll exactly as Envoy's `http_subscription_impl.cc` sends it: POST, JSON body in
 * snake_case with `version_info` only after an accepted response, the full `node`, one
 * `resource_names` entry, and `Host:` set to the management cluster's name, not a DNS name.
 */
export function pollEds(
  port: number,
  cluster: string,
  versionInfo?: string,
  options: { api?: 'v2' | 'v3' } = {},
): Promise<EdsReply> {
  const api = options.api ?? 'v3';
  const typeUrl =
    api === 'v3'
      ? 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment'
      : 'type.googleapis.com/envoy.api.v2.ClusterLoadAssignment';
  const body = JSON.stringify({
    ...(versionInfo !== undefined ? { version_info: versionInfo } : {}),
    node: ENVOY_NODE,
    resource_names: [cluster],
    type_url: typeUrl,
  });
  return send(port, {
    method: 'POST',
    path: `/${api}/discovery:endpoints`,
    headers: {
      host: 'eds_cluster',
      'content-type': 'application/json',
      'x-envoy-internal': 'true',
      'x-forwarded-for': '127.0.0.1',
      'x-envoy-expected-rq-timeout-ms': '1000',
    },
    body,
  });
}

/** A raw HTTP request to the agent on loopback, for the cases Envoy never sends. */
export function send(
  port: number,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    ownConnection?: boolean;
    /** Over HTTPS: the CA the agent's certificate must chain to, and a client certificate. */
    tls?: { ca: string; cert?: string; key?: string };
  },
): Promise<EdsReply> {
  const tls = options.tls;
  const open = tls === undefined ? request : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = open(
      {
        host: '127.0.0.1',
        port,
        method: options.method,
        path: options.path,
        headers: options.headers ?? {},
        // Polls reuse a keep-alive connection as Envoy's pool does; the odd requests the tests
        // make (GET with a body, unread bodies) get a connection of their own. Each HTTPS
        // request has its own, so that each is a new handshake.
        agent: options.ownConnection === true || tls !== undefined ? false : undefined,
        ...(tls === undefined
          ? {}
          : {
              ca: readFileSync(tls.ca),
              ...(tls.cert === undefined ? {} : { cert: readFileSync(tls.cert) }),
              ...(tls.key === undefined ? {} : { key: readFileSync(tls.key) }),
            }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const isJson =
            res.statusCode === 200 && (res.headers['content-type'] ?? '').includes('json');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: isJson ? (JSON.parse(text) as DiscoveryResponseJson) : undefined,
            ...(res.socket instanceof TLSSocket
              ? { peerFingerprint: res.socket.getPeerCertificate().fingerprint256 }
              : {}),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `address:port (HEALTH)` of every endpoint of a 200 answer, sorted: what a test usually compares. */
export function endpointsOf(reply: EdsReply): string[] {
  return (reply.json?.resources ?? [])
    .flatMap((resource) => resource.endpoints.flatMap((locality) => locality.lb_endpoints))
    .map(
      (lb) =>
        `${lb.endpoint.address.socket_address.address}:${lb.endpoint.address.socket_address.port_value} ${lb.health_status}`,
    )
    .sort();
}
