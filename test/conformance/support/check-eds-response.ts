import { isIP } from 'node:net';

import { checkProtoJson } from './check-proto-json.js';
import { loadEnvoyProtos } from './load-envoy-protos.js';

const V3 = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const V2 = 'type.googleapis.com/envoy.api.v2.ClusterLoadAssignment';

/**
 * Would Envoy accept this 200 body as the answer to its poll for `cluster`? Applies what
 * Envoy's REST subscription and EDS cluster do: parse as a DiscoveryResponse (unknown fields
 * rejected), unpack each Any as a ClusterLoadAssignment and validate it, then EDS's own rules
 * (exactly one resource, named as asked; IP-literal addresses; duplicates noted).
 * The v2 path is checked for the v2 type names, then against the v3 messages, whose fields are
 * the same for everything the agent emits. Returns every problem; `[]` means accepted.
 */
export function checkEdsResponse(body: string, cluster: string, api: 'v2' | 'v3' = 'v3'): string[] {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return ['body: not JSON'];
  }
  const problems: string[] = [];
  const expectedType = api === 'v3' ? V3 : V2;
  if (json.type_url !== expectedType)
    problems.push(`type_url: expected ${expectedType}, got ${JSON.stringify(json.type_url)}`);
  const resources = Array.isArray(json.resources)
    ? (json.resources as Record<string, unknown>[])
    : [];
  resources.forEach((resource, index) => {
    if (resource['@type'] !== expectedType)
      problems.push(`resources[${index}]["@type"]: expected ${expectedType}`);
  });
  const asV3 = {
    ...json,
    type_url: V3,
    resources: resources.map((resource) => ({ ...resource, '@type': V3 })),
  };
  problems.push(
    ...checkProtoJson(loadEnvoyProtos(), 'envoy.service.discovery.v3.DiscoveryResponse', asV3),
  );

  if (resources.length !== 1)
    problems.push(`resources: Unexpected EDS resource length: ${resources.length}`);
  const [assignment] = resources as {
    cluster_name?: unknown;
    endpoints?: {
      lb_endpoints?: {
        endpoint?: { address?: { socket_address?: { address?: unknown; port_value?: unknown } } };
      }[];
    }[];
  }[];
  if (assignment && assignment.cluster_name !== cluster) {
    problems.push(
      `resources[0].cluster_name: expected ${JSON.stringify(cluster)}, got ${JSON.stringify(assignment.cluster_name)}`,
    );
  }
  const seen = new Set<string>();
  (assignment?.endpoints ?? []).forEach((locality, l) => {
    (locality.lb_endpoints ?? []).forEach((lb, e) => {
      const socket = lb.endpoint?.address?.socket_address;
      const path = `resources[0].endpoints[${l}].lb_endpoints[${e}].endpoint.address.socket_address`;
      if (typeof socket?.address !== 'string' || isIP(socket.address) === 0) {
        problems.push(
          `${path}.address: EDS needs an IP literal, got ${JSON.stringify(socket?.address)}`,
        );
      }
      const key = `${String(socket?.address)}:${String(socket?.port_value)}`;
      if (seen.has(key)) problems.push(`${path}: duplicate address ${key}`);
      seen.add(key);
    });
  });
  return problems;
}
