import type { MemberChange } from '../../snapshot-store.js';
import type { ContainerLedger } from '../engine/create-container-ledger.js';
import type { DockerNode, DockerService, DockerTask } from '../engine/docker-json.js';
import {
  isServiceConverging,
  isTaskConverging,
  keepAddresses,
  type SwarmState,
  taskLabels,
  toTaskRecord,
} from './to-task-record.js';

/** The whole Swarm as read in one reconcile. */
export interface SwarmRead {
  readonly services: readonly DockerService[];
  readonly tasks: readonly DockerTask[];
  readonly nodes: readonly DockerNode[];
  /** The node the agent's engine runs on. */
  readonly localNodeId: string;
}

/** What the ledger decided from one read. */
export interface SwarmDecided {
  /** The store changes: every running task of a watched service, and every task gone. */
  readonly changes: readonly MemberChange[];
  /** How many tasks are served. */
  readonly served: number;
  /** Whether anything is on the move: a watched service updating or scaling, a task on its way. */
  readonly converging: boolean;
}

/**
 * Decides every task of the Swarm into `ledger`, as a container with the task's and its
 * service's labels would be; tasks the ledger watched and the Swarm no longer runs are decided
 * gone.
 */
export function readSwarm(read: SwarmRead, ledger: ContainerLedger): SwarmDecided {
  const state: SwarmState = {
    services: new Map(read.services.map((service) => [service.ID, service])),
    nodes: new Map(read.nodes.map((node) => [node.ID, node])),
    localNodeId: read.localNodeId,
  };
  const tasksOf = new Map<string, DockerTask[]>();
  for (const task of read.tasks) {
    const id = task.ServiceID ?? '';
    const ofService = tasksOf.get(id);
    if (ofService) ofService.push(task);
    else tasksOf.set(id, [task]);
  }
  let converging = read.services.some(
    (service) =>
      ledger.watches(service.Spec?.Labels ?? {}) &&
      isServiceConverging(service, tasksOf.get(service.ID) ?? []),
  );
  const changes: MemberChange[] = [];
  const served = new Set<string>();
  for (const task of read.tasks) {
    if (!ledger.watches(taskLabels(task, state.services.get(task.ServiceID ?? '')))) continue;
    converging ||= isTaskConverging(task);
    const record = toTaskRecord(task, state);
    if (record === undefined) continue;
    served.add(task.ID);
    changes.push(ledger.decide(task.ID, keepAddresses(record, ledger.lastRecord(task.ID))));
  }
  for (const id of ledger.ids()) if (!served.has(id)) changes.push(ledger.decide(id, undefined));
  return { changes, served: served.size, converging };
}
