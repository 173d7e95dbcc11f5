/**
 * The parts of the Docker Engine API's JSON that the agent reads. Every field is optional:
 * engines differ by version, and a missing field must map to "absent", never to a crash.
 */

/** One entry of `GET /containers/json`. */
export interface DockerContainerSummary {
  readonly Id: string;
  readonly Names?: readonly string[];
  readonly Labels?: Readonly<Record<string, string>> | null;
  readonly State?: string;
  /** Human status, e.g. `Up 2 minutes (healthy)`; older engines put the health only here. */
  readonly Status?: string;
  /** Newer engines (API ≥ 1.52) report health as data. */
  readonly Health?: { readonly Status?: string } | null;
  readonly Ports?: readonly {
    readonly IP?: string;
    readonly PrivatePort: number;
    readonly PublicPort?: number;
    readonly Type?: string;
  }[];
  readonly NetworkSettings?: {
    readonly Networks?: Readonly<Record<string, DockerNetworkEndpoint>> | null;
  } | null;
}

/** `GET /containers/{id}/json`. */
export interface DockerContainerInspect {
  readonly Id: string;
  readonly Name?: string;
  readonly State?: {
    readonly Status?: string;
    readonly Health?: { readonly Status?: string } | null;
  } | null;
  readonly Config?: {
    readonly Labels?: Readonly<Record<string, string>> | null;
    readonly ExposedPorts?: Readonly<Record<string, unknown>> | null;
  } | null;
  readonly NetworkSettings?: {
    readonly Networks?: Readonly<Record<string, DockerNetworkEndpoint>> | null;
    readonly Ports?: Readonly<
      Record<string, readonly { readonly HostIp?: string; readonly HostPort?: string }[] | null>
    > | null;
  } | null;
}

export interface DockerNetworkEndpoint {
  readonly IPAddress?: string;
  readonly GlobalIPv6Address?: string;
}

/** One message of `GET /events`. */
export interface DockerEvent {
  readonly Type?: string;
  readonly Action?: string;
  readonly Actor?: {
    readonly ID?: string;
    readonly Attributes?: Readonly<Record<string, string>> | null;
  };
}

/** `GET /version`: Docker's and Podman's (which lists a "Podman Engine" component). */
export interface DockerVersion {
  readonly Version?: string;
  readonly ApiVersion?: string;
  readonly Components?: readonly { readonly Name?: string }[] | null;
}
