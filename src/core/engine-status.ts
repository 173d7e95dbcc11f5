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

/** What `/status`, `/readyz` and `/metrics` say of one engine. */
export interface EngineStatus {
  readonly name: string;
  /** Its URL as given. */
  readonly host: string;
  /** Its containers were read in full at least once since start. */
  readonly synced: boolean;
  /** Subscribed to its events right now. */
  readonly connected: boolean;
  /** It answered its last ping. */
  readonly responsive: boolean;
  /** The engine of the latest session; undefined before the first. */
  readonly engine: EngineInfo | undefined;
  /**
   * Its Swarm: read once since start (or found not to be one it manages), and followed now
   * (it is a manager); undefined with `--swarm off`.
   */
  readonly swarm: { readonly synced: boolean; readonly active: boolean } | undefined;
  /** When it went away, while it is away (ms since the epoch). */
  readonly awaySince: number | undefined;
  /** It has been away longer than the grace: its endpoints are withdrawn until it is back. */
  readonly withdrawn: boolean;
}
