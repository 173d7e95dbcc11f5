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
