import type { EngineInfo } from '../../core/engine-status.js';
import type {
  DockerContainerInspect,
  DockerContainerSummary,
  DockerEvent,
  DockerNode,
  DockerService,
  DockerTask,
} from './docker-json.js';

/**
 * The Docker engine as the source sees it: these calls, nothing else. Implemented over
 * dockerode in `create-dockerode-client.ts`; a port so the source's logic does not depend on
 * the library. Every method rejects when the engine is unreachable or `signal` aborts (the
 * source gives each call a deadline, so a hung engine cannot hang the agent); the source's one
 * retry loop handles that. A `DockerUnusableError` means retrying cannot help.
 */
export interface DockerClient {
  /** Resolves when the engine answers `/_ping`. */
  ping(signal: AbortSignal): Promise<void>;
  /** Which engine this is (`GET /version`). */
  describeEngine(signal: AbortSignal): Promise<EngineInfo>;
  /** Running and paused containers, in one call. */
  listContainers(signal: AbortSignal): Promise<DockerContainerSummary[]>;
  /** The container now, or `undefined` if it no longer exists. */
  inspectContainer(id: string, signal: AbortSignal): Promise<DockerContainerInspect | undefined>;
  /** Names of the engine's networks. */
  listNetworkNames(signal: AbortSignal): Promise<string[]>;
  /** Whether the engine is an active Swarm manager, and which node it is (`GET /info`). */
  describeSwarm(signal: AbortSignal): Promise<SwarmRole>;
  /** Every Swarm service, in one call (a manager's). */
  listServices(signal: AbortSignal): Promise<DockerService[]>;
  /**
   * Every task, in one call (a manager's): those running, those being replaced or scaled
   * away (until they have stopped), and a short history of ended ones.
   */
  listTasks(signal: AbortSignal): Promise<DockerTask[]>;
  /** Every Swarm node, in one call (a manager's). */
  listNodes(signal: AbortSignal): Promise<DockerNode[]>;
  /**
   * Resolves once the engine has accepted the subscription (`signal` bounds only that wait);
   * iterate it until the engine goes away.
   */
  openEvents(
    filters: Readonly<Record<string, readonly string[]>>,
    signal: AbortSignal,
  ): Promise<EventStream>;
}

/** What the engine is in a Swarm. */
export interface SwarmRole {
  /** An active manager: it answers `/services`, `/tasks` and `/nodes`, and emits their events. */
  readonly manager: boolean;
  /** Its node's id; `''` outside a Swarm. */
  readonly nodeId: string;
}

/** An open event subscription. Iteration ends (or throws) when the connection does. */
export interface EventStream extends AsyncIterable<DockerEvent> {
  /** Ends the subscription; iteration then finishes. Idempotent. */
  close(): void;
}

/**
 * The engine refuses the agent in a way no retry can fix (permission denied on its socket).
 * The message says what to change; the command line exits with code 2 on it.
 */
export class DockerUnusableError extends Error {
  override readonly name = 'DockerUnusableError';
}
