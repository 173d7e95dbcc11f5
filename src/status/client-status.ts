// The clients of the agent as `/status` shows them: what the transports record of each REST
// poller and gRPC stream, in the form the status document carries.

/** One Envoy subscription polling over REST. */
export interface RestPoller {
  readonly node: string;
  readonly api: string;
  /** The clusters the poll asked for, comma-separated (`*` for all). */
  readonly clusters: string;
  readonly lastPollAt: string;
  /** The version the client said it holds (`version_info`); undefined on a first poll. */
  readonly acceptedVersion: string | undefined;
  /** What it was answered: a version, `304` or `503`. */
  readonly answer: string;
  readonly polls: number;
}

/** What one type of one gRPC stream looks like from the outside. */
export interface StreamTypeStatus {
  readonly type: string;
  /** The names subscribed to (`*` for every one), the first 20. */
  readonly names: readonly string[];
  readonly namesTotal: number;
  /** The version (delta: the nonce) of the last response sent, ACKed, and last NACKed. */
  readonly sent: string | undefined;
  readonly acked: string | undefined;
  readonly lastNack:
    { readonly version: string; readonly message: string; readonly at: string } | undefined;
}

/** One open gRPC xDS stream. */
export interface GrpcStreamStatus {
  readonly node: string;
  /** `ads`, `eds`, `cds`, `lds` or `rds`. */
  readonly service: string;
  readonly protocol: 'sotw' | 'delta';
  readonly connectedAt: string;
  readonly types: readonly StreamTypeStatus[];
}
