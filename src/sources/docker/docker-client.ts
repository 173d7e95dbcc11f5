import type { DockerContainerInspect, DockerContainerSummary, DockerEvent } from './docker-json.js';

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
  /**
   * Resolves once the engine has accepted the subscription (`signal` bounds only that wait);
   * iterate it until the engine goes away.
   */
  openEvents(
    filters: Readonly<Record<string, readonly string[]>>,
    signal: AbortSignal,
  ): Promise<EventStream>;
}

/** The engine behind the API. */
export interface EngineInfo {
  /**
   * `podman` for Podman's Docker-compatible API, whose container list carries no health (so
   * the full sync must inspect) and which sends no event when a stop begins.
   */
  readonly product: 'docker' | 'podman';
  readonly version: string;
  readonly apiVersion: string;
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
