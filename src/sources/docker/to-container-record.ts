import {
  type ContainerHealth,
  type ContainerRecord,
  type ContainerState,
  type NetworkAttachment,
  type PublishedPort,
  toCreated,
} from '../../core/container-record.js';
import type {
  DockerContainerInspect,
  DockerContainerSummary,
  DockerNetworkEndpoint,
} from '../engine/docker-json.js';

/**
 * Maps one entry of the container list (the full sync) to a record. Total: missing fields
 * become empty values. `stopping` is what the source remembers from events, not from Docker.
 */
export function toContainerRecordFromSummary(
  summary: DockerContainerSummary,
  stopping: boolean,
): ContainerRecord {
  const ports = summary.Ports ?? [];
  const tcp = ports.filter((port) => (port.Type ?? 'tcp') === 'tcp');
  const name =
    (summary.Names ?? []).find((n) => n.lastIndexOf('/') === 0) ?? summary.Names?.[0] ?? '';
  return {
    id: summary.Id,
    name: name.replace(/^\//, ''),
    labels: summary.Labels ?? {},
    state: toState(summary.State),
    health: toHealth(summary.Health?.Status ?? healthFromStatusText(summary.Status ?? '')),
    stopping,
    exposedPorts: uniqueSorted(tcp.map((port) => port.PrivatePort)),
    networks: toNetworks(summary.NetworkSettings?.Networks),
    publishedPorts: tcp.flatMap((port) =>
      port.PublicPort
        ? [{ containerPort: port.PrivatePort, hostIp: port.IP ?? '', hostPort: port.PublicPort }]
        : [],
    ),
    ...toCreated(summary.Created),
  };
}

/** Maps a container inspect (after an event) to a record. Total, like the summary mapper. */
export function toContainerRecordFromInspect(
  inspect: DockerContainerInspect,
  stopping: boolean,
): ContainerRecord {
  const exposed = Object.keys(inspect.Config?.ExposedPorts ?? {}).flatMap(tcpPort);
  const publishedPorts: PublishedPort[] = Object.entries(
    inspect.NetworkSettings?.Ports ?? {},
  ).flatMap(([key, bindings]) =>
    tcpPort(key).flatMap((containerPort) =>
      (bindings ?? []).flatMap((binding) => {
        const hostPort = Number(binding.HostPort);
        return Number.isInteger(hostPort) && hostPort > 0
          ? [{ containerPort, hostIp: binding.HostIp ?? '', hostPort }]
          : [];
      }),
    ),
  );
  return {
    id: inspect.Id,
    name: (inspect.Name ?? '').replace(/^\//, ''),
    labels: inspect.Config?.Labels ?? {},
    state: toState(inspect.State?.Status),
    health: toHealth(inspect.State?.Health?.Status),
    stopping,
    exposedPorts: uniqueSorted([...exposed, ...publishedPorts.map((port) => port.containerPort)]),
    networks: toNetworks(inspect.NetworkSettings?.Networks),
    publishedPorts,
    ...toCreated(inspect.Created),
  };
}

function toState(status: string | undefined): ContainerState {
  if (status === 'running') return 'running';
  if (status === 'paused') return 'paused';
  return 'not-running';
}

function toHealth(status: string | undefined): ContainerHealth {
  switch (status) {
    case 'starting':
    case 'healthy':
    case 'unhealthy':
      return status;
    default:
      return 'none';
  }
}

/** Older engines only say `Up 5 minutes (healthy)` / `(unhealthy)` / `(health: starting)`. */
function healthFromStatusText(status: string): string | undefined {
  const match = /\((healthy|unhealthy|health: starting)\)/.exec(status);
  return match?.[1] === 'health: starting' ? 'starting' : match?.[1];
}

function toNetworks(
  networks: Readonly<Record<string, DockerNetworkEndpoint>> | null | undefined,
): NetworkAttachment[] {
  return Object.entries(networks ?? {}).map(([name, endpoint]) => ({
    name,
    ipv4: endpoint.IPAddress ?? '',
    ipv6: endpoint.GlobalIPv6Address ?? '',
  }));
}

/** `"8080/tcp"` → `[8080]`; other protocols or malformed keys → `[]`. */
function tcpPort(key: string): number[] {
  const match = /^(\d+)\/tcp$/.exec(key);
  return match ? [Number(match[1])] : [];
}

function uniqueSorted(ports: number[]): number[] {
  return [...new Set(ports)].sort((a, b) => a - b);
}
