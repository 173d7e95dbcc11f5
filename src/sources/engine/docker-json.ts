/**
 * The parts of the Docker Engine API's JSON that the agent reads. Every field is optional:
 * engines differ by version, and a missing field must map to "absent", never to a crash.
 */

/** One entry of `GET /containers/json`. */
export interface DockerContainerSummary {
  readonly Id: string;
  /** Seconds since the epoch. */
  readonly Created?: number;
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
  /** RFC 3339, with nanoseconds. */
  readonly Created?: string;
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

/** `GET /info`: whether the engine is a Swarm manager, and which node it is. */
export interface DockerInfo {
  readonly Swarm?: {
    readonly NodeID?: string;
    /** `inactive`, `pending`, `active`, `error` or `locked`. */
    readonly LocalNodeState?: string;
    /** True on a manager: it answers `/services`, `/tasks` and `/nodes`. */
    readonly ControlAvailable?: boolean;
  } | null;
}

/** A port of a Swarm service or task: `ingress` (the routing mesh) or `host` (the node's own). */
export interface DockerSwarmPort {
  readonly Protocol?: string;
  readonly TargetPort?: number;
  readonly PublishedPort?: number;
  readonly PublishMode?: string;
}

/** One entry of `GET /services`. */
export interface DockerService {
  readonly ID: string;
  readonly Spec?: {
    readonly Name?: string;
    /** The service's own labels (`docker service create --label`). */
    readonly Labels?: Readonly<Record<string, string>> | null;
    readonly Mode?: { readonly Replicated?: { readonly Replicas?: number } | null } | null;
    readonly EndpointSpec?: { readonly Ports?: readonly DockerSwarmPort[] | null } | null;
  } | null;
  /** Present once the service was updated: `updating`, `completed`, `paused`, `rollback_*`. */
  readonly UpdateStatus?: { readonly State?: string } | null;
}

/** One entry of `GET /tasks`. */
export interface DockerTask {
  readonly ID: string;
  /** RFC 3339. */
  readonly CreatedAt?: string;
  readonly ServiceID?: string;
  readonly NodeID?: string;
  readonly Slot?: number;
  /**
   * `running` while the orchestrator wants it; `shutdown` once it is replaced, `remove` once
   * it is scaled away (it may still run meanwhile).
   */
  readonly DesiredState?: string;
  readonly Spec?: {
    readonly ContainerSpec?: {
      /** Container labels (`--container-label`). */
      readonly Labels?: Readonly<Record<string, string>> | null;
    } | null;
  } | null;
  readonly Status?: {
    /** `new` … `running`, then `complete`, `shutdown`, `failed`, `rejected`, `orphaned`. */
    readonly State?: string;
    readonly PortStatus?: { readonly Ports?: readonly DockerSwarmPort[] | null } | null;
  } | null;
  readonly NetworksAttachments?:
    | readonly {
        readonly Network?: { readonly Spec?: { readonly Name?: string } | null } | null;
        /** CIDR form, e.g. `10.0.1.5/24`. */
        readonly Addresses?: readonly string[] | null;
      }[]
    | null;
}

/** One entry of `GET /nodes`. */
export interface DockerNode {
  readonly ID: string;
  readonly Description?: { readonly Hostname?: string } | null;
  readonly Spec?: { readonly Availability?: string } | null;
  /** `State`: `unknown`, `down`, `ready` or `disconnected`; `Addr`: the node's address. */
  readonly Status?: { readonly State?: string; readonly Addr?: string } | null;
}
