import {
  type ContainerRecord,
  type NetworkAttachment,
  type PublishedPort,
  toCreated,
} from '../../core/container-record.js';
import type {
  DockerNode,
  DockerService,
  DockerSwarmPort,
  DockerTask,
} from '../engine/docker-json.js';

/** What one reconcile read of a Swarm, besides its tasks: services and nodes by id. */
export interface SwarmState {
  readonly services: ReadonlyMap<string, DockerService>;
  readonly nodes: ReadonlyMap<string, DockerNode>;
  /** The node of the engine the agent follows: its host ports are at `--host-ip`. */
  readonly localNodeId: string;
}

/** The network of Swarm's routing mesh: its addresses are the mesh's, not a task's own. */
const INGRESS_NETWORK = 'ingress';

/**
 * A task's labels as the agent reads them: its container labels (`--container-label`), then
 * its service's (`--label`), which win where both set one.
 */
export function taskLabels(
  task: DockerTask,
  service: DockerService | undefined,
): Readonly<Record<string, string>> {
  return { ...(task.Spec?.ContainerSpec?.Labels ?? {}), ...(service?.Spec?.Labels ?? {}) };
}

/**
 * A task as the core sees a container, so the same labels mean the same endpoints; or
 * `undefined` when it has nothing to serve: not running (Swarm starts a task with a
 * HEALTHCHECK as `running` only once healthy, and stops one that turns unhealthy), or on a
 * node that is not `ready` (a dead node's tasks keep their last state for a long time).
 * A task the orchestrator is replacing or scaling away (`DesiredState` not `running`) while
 * it still runs is `stopping`: served as draining until it stops. Host ports are the task's
 * own `mode=host` ones, at its node's address (`''`, i.e. `--host-ip`, on the local node);
 * the routing mesh's ingress ports are no endpoint.
 */
export function toTaskRecord(task: DockerTask, state: SwarmState): ContainerRecord | undefined {
  const node = state.nodes.get(task.NodeID ?? '');
  if (task.Status?.State !== 'running' || node?.Status?.State !== 'ready') return undefined;
  const service = state.services.get(task.ServiceID ?? '');
  const ports = tcp(task.Status.PortStatus?.Ports);
  const hostIp = task.NodeID === state.localNodeId ? '' : (node.Status.Addr ?? '');
  return {
    id: task.ID,
    name: `${service?.Spec?.Name ?? task.ServiceID ?? ''}.${task.Slot ?? task.NodeID ?? ''}.${task.ID}`,
    labels: taskLabels(task, service),
    state: 'running',
    health: 'none',
    stopping: task.DesiredState !== 'running',
    exposedPorts: [
      ...new Set(
        [...tcp(service?.Spec?.EndpointSpec?.Ports), ...ports].map((port) => port.TargetPort ?? 0),
      ),
    ]
      .filter((port) => port > 0)
      .sort((a, b) => a - b),
    networks: (task.NetworksAttachments ?? []).flatMap(toNetworkAttachment),
    publishedPorts: firstPerTargetPort(
      ports
        .filter((port) => port.PublishMode === 'host' && (port.PublishedPort ?? 0) > 0)
        .map((port) => ({
          containerPort: port.TargetPort ?? 0,
          hostIp,
          hostPort: port.PublishedPort ?? 0,
        })),
    ),
    ...toCreated(task.CreatedAt),
  };
}

/**
 * `record`, for a task being stopped, with the addresses it had when last read: Swarm clears
 * a task's port status as it begins to stop it, while the task still serves what it has.
 */
export function keepAddresses(
  record: ContainerRecord,
  last: ContainerRecord | undefined,
): ContainerRecord {
  if (!record.stopping || last === undefined) return record;
  return {
    ...record,
    publishedPorts: record.publishedPorts.length > 0 ? record.publishedPorts : last.publishedPorts,
    networks: record.networks.length > 0 ? record.networks : last.networks,
  };
}

/** The ports `service` publishes on the routing mesh (`mode=ingress`, Swarm's default). */
export function ingressPorts(service: DockerService): number[] {
  return tcp(service.Spec?.EndpointSpec?.Ports)
    .filter((port) => port.PublishMode !== 'host' && (port.PublishedPort ?? 0) > 0)
    .map((port) => port.PublishedPort ?? 0);
}

/**
 * Whether the orchestrator is still moving `task`: asked to run and not yet running, or
 * asked to stop and still running. A reconcile that sees one looks again soon.
 */
export function isTaskConverging(task: DockerTask): boolean {
  const state = task.Status?.State ?? '';
  if (task.DesiredState === 'running') return PENDING_STATES.has(state);
  return state === 'running';
}

/**
 * Whether `service` is on the move: in a rolling update (or its rollback), or, replicated,
 * with another number of tasks asked to run and running than its replicas (just scaled: the
 * orchestrator creates or marks tasks a moment after the service's event).
 */
export function isServiceConverging(service: DockerService, tasks: readonly DockerTask[]): boolean {
  const state = service.UpdateStatus?.State ?? '';
  if (state === 'updating' || state === 'rollback_started') return true;
  const replicas = service.Spec?.Mode?.Replicated?.Replicas;
  if (replicas === undefined) return false;
  const running = tasks.filter(
    (task) => task.DesiredState === 'running' && task.Status?.State === 'running',
  ).length;
  return running !== replicas;
}

/** Task states on the way to `running`. */
const PENDING_STATES = new Set([
  'new',
  'pending',
  'assigned',
  'accepted',
  'ready',
  'preparing',
  'starting',
]);

function tcp(ports: readonly DockerSwarmPort[] | null | undefined): DockerSwarmPort[] {
  return (ports ?? []).filter((port) => (port.Protocol ?? 'tcp') === 'tcp');
}

function toNetworkAttachment(
  attachment: NonNullable<DockerTask['NetworksAttachments']>[number],
): NetworkAttachment[] {
  const name = attachment.Network?.Spec?.Name ?? '';
  if (name === '' || name === INGRESS_NETWORK) return [];
  const ips = (attachment.Addresses ?? []).map((cidr) => cidr.split('/')[0] ?? '');
  return [
    {
      name,
      ipv4: ips.find((ip) => ip.includes('.')) ?? '',
      ipv6: ips.find((ip) => ip.includes(':')) ?? '',
    },
  ];
}

/**
 * Swarm lists a task's host port once per address family, IPv4's first (in the order of the
 * container's own bindings, `0.0.0.0` then `::`). Docker 20.10 may give the two different
 * port numbers, and only IPv4's is the task's on an IPv4 address: the first is kept.
 */
function firstPerTargetPort(ports: PublishedPort[]): PublishedPort[] {
  const seen = new Set<number>();
  return ports.filter((port) => {
    if (seen.has(port.containerPort)) return false;
    seen.add(port.containerPort);
    return true;
  });
}
