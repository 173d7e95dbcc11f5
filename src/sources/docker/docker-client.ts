import type { DockerContainerInspect, DockerContainerSummary, DockerEvent } from './docker-json.js';

/**
 * The Docker engine as the source sees it: three calls, nothing else. Implemented over dockerode
 * in `create-dockerode-client.ts`; a port so the source's logic does not depend on the library.
 * Every method rejects when the engine is unreachable; the source's one retry loop handles that.
 */
export interface DockerClient {
  /** Running and paused containers, in one call. */
  listContainers(): Promise<DockerContainerSummary[]>;
  /** The container now, or `undefined` if it no longer exists. */
  inspectContainer(id: string): Promise<DockerContainerInspect | undefined>;
  /** Resolves once the engine has accepted the subscription; iterate it until the engine goes away. */
  openEvents(filters: Readonly<Record<string, readonly string[]>>): Promise<EventStream>;
}

/** An open event subscription. Iteration ends (or throws) when the connection does. */
export interface EventStream extends AsyncIterable<DockerEvent> {
  /** Ends the subscription; iteration then finishes. Idempotent. */
  close(): void;
}
