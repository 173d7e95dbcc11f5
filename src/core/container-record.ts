/**
 * What the core needs to know about one container, whichever Docker call it came from.
 * Sources build these with total mappers; the core never sees Docker's own JSON.
 */
export interface ContainerRecord {
  /** Full 64-hex container id. */
  readonly id: string;
  /** Name without Docker's leading slash, e.g. `shop-web-1`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly state: ContainerState;
  /** `none` when the container has no HEALTHCHECK. */
  readonly health: ContainerHealth;
  /** True once the container was sent its stop signal (`docker stop`, SIGTERM) and has not died yet. */
  readonly stopping: boolean;
  /** TCP container ports the container exposes (image EXPOSE, `--expose`, `-p`), ascending. */
  readonly exposedPorts: readonly number[];
  /** Networks the container is attached to, in the order Docker lists them. */
  readonly networks: readonly NetworkAttachment[];
  /** TCP ports published on the host. */
  readonly publishedPorts: readonly PublishedPort[];
  /**
   * When Docker created it (a Swarm task: the task), in ms since the epoch, to the second (the
   * container list has no more); undefined when unknown. The oldest container of a service is
   * its claim's age: the first service to claim a domain keeps it.
   */
  readonly created?: number;
}

/**
 * A record's `created` from the time Docker gave (seconds, or an RFC 3339 text), to the
 * second, in ms; no field when Docker gave none.
 */
export function toCreated(created: number | string | undefined): { created?: number } {
  const ms = typeof created === 'number' ? created * 1000 : Date.parse(created ?? '');
  return Number.isFinite(ms) && ms > 0 ? { created: Math.floor(ms / 1000) * 1000 } : {};
}

/** Docker's container states, folded to what decides serving. */
export type ContainerState = 'running' | 'paused' | 'not-running';

/** Docker's health states; `none` means no HEALTHCHECK is configured. */
export type ContainerHealth = 'none' | 'starting' | 'healthy' | 'unhealthy';

/** A container's address on one Docker network; empty strings mean "no address of that family". */
export interface NetworkAttachment {
  readonly name: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

/** One host binding of a container's TCP port. `hostIp` is Docker's, e.g. `0.0.0.0`, `::` or `127.0.0.1`. */
export interface PublishedPort {
  readonly containerPort: number;
  readonly hostIp: string;
  readonly hostPort: number;
}
