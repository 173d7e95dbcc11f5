import { XDS_TYPES } from './xds-types.js';

// The xDS protocol as the streams speak it: the messages (the fields the server reads and
// writes), what a stream reads resources from, and the protocol facts both variants share.

/** `google.protobuf.Any`, with its own encoding made once: what every response copies. */
export interface AnyMessage {
  readonly type_url: string;
  readonly value: Uint8Array;
  /** The `Any` message itself, encoded (`type_url`, then `value`). */
  readonly bytes: Uint8Array;
}

/** The fields of a state-of-the-world `DiscoveryRequest` the server reads. */
export interface DiscoveryRequestFields {
  readonly version_info?: string;
  readonly node?: { readonly id?: string; readonly user_agent_name?: string } | null;
  readonly resource_names?: readonly string[];
  readonly type_url?: string;
  readonly response_nonce?: string;
  readonly error_detail?: ErrorDetail | null;
}

/** A state-of-the-world `DiscoveryResponse`, resources already packed. */
export interface SotwResponse {
  readonly version_info: string;
  readonly resources: readonly AnyMessage[];
  readonly type_url: string;
  readonly nonce: string;
}

/** The fields of a `DeltaDiscoveryRequest` the server reads. */
export interface DeltaRequestFields {
  readonly node?: { readonly id?: string; readonly user_agent_name?: string } | null;
  readonly type_url?: string;
  readonly resource_names_subscribe?: readonly string[];
  readonly resource_names_unsubscribe?: readonly string[];
  readonly initial_resource_versions?: Readonly<Record<string, string>>;
  readonly response_nonce?: string;
  readonly error_detail?: ErrorDetail | null;
}

/** A `DeltaDiscoveryResponse`, resources already packed. */
export interface DeltaResponse {
  readonly system_version_info: string;
  readonly resources: readonly { name: string; version: string; resource: AnyMessage }[];
  readonly type_url: string;
  readonly removed_resources: readonly string[];
  readonly nonce: string;
}

/** A NACK's `error_detail` (a `google.rpc.Status`). */
export interface ErrorDetail {
  readonly code?: number;
  readonly message?: string;
}

/** What a stream serves, read from the current snapshot at the moment of each response. */
export interface XdsResources {
  /** False until every source has been read once: nothing may be sent before (see `Snapshot.awaiting`). */
  ready(): boolean;
  /** The names of every resource of `typeUrl` there is now (a wildcard subscription's set), sorted. */
  names(typeUrl: string): readonly string[];
  /** Whether `name` is among `names(typeUrl)`. */
  has(typeUrl: string, name: string): boolean;
  /**
   * The resource `name` of `typeUrl` and its content version; `undefined` when there is no
   * such resource and none is sent (an EDS name always has one: an empty assignment).
   */
  resource(typeUrl: string, name: string): { version: string; any: AnyMessage } | undefined;
}

/** Changed resource names per type URL, in the order they must be pushed. */
export type ResourceChanges = readonly (readonly [typeUrl: string, names: readonly string[]])[];

/**
 * What a client said of the last response of a type: it accepted (`ack`) or refused (`nack`,
 * with the client's `message`) the response of `version` (delta, which has no response
 * version: its nonce).
 */
export interface ClientReply {
  readonly kind: 'ack' | 'nack';
  readonly nodeId: string;
  readonly typeUrl: string;
  readonly version: string;
  readonly message: string;
}

/** How many resource names a client may ask for, per request and in all on one stream. */
export interface NameLimits {
  /** Names in one request's list, and names subscribed on one stream. */
  readonly maxNames: number;
  /** Bytes (UTF-16 code units) of the names subscribed on one stream. */
  readonly maxNameBytes: number;
}

/** What a stream of either variant is given. */
export interface XdsStreamOptions<Response> {
  readonly resources: XdsResources;
  /** Type URLs this stream serves (ADS: all; a type's own service: that one). */
  readonly served: ReadonlySet<string>;
  /** Writes a response; false when the client's buffer is full (then wait for `onDrain`). */
  readonly send: (response: Response) => boolean;
  /** Every ACK, and each NACK once per refused response. */
  readonly onReply: (reply: ClientReply) => void;
  /** How many names a request, and the stream, may hold. */
  readonly limits: NameLimits;
  /** Runs each response's build; `RUN_AT_ONCE` unless given (the server spreads them over turns). */
  readonly schedule?: BuildScheduler;
}

/**
 * Runs a response's build: a generator that yields after each slice of its work
 * (`BUILD_SLICE` names), so that builds of many streams, and a large one, can share the event
 * loop with everything else a turn at a time.
 */
export type BuildScheduler = (build: Iterator<unknown>) => void;

/** Runs a build to its end at once. */
export const RUN_AT_ONCE: BuildScheduler = (build) => {
  while (build.next().done !== true);
};

/** Names a build handles between two yields. */
export const BUILD_SLICE = 256;

/** One xDS stream's protocol state, whichever its variant (state of the world or delta). */
export interface XdsStream {
  /**
   * Handles one request from the client; `defaultTypeUrl` stands for an empty `type_url` on
   * a service that serves one type. Returns why the request is refused (it asks for more
   * names than `limits` allow; nothing is sent for it, and the stream must end), or nothing.
   */
  onRequest(request: object, defaultTypeUrl?: string): string | undefined;
  /** Pushes what changed in the snapshot to the subscribers of a changed name, type by type in the order given. */
  onChange(changes: ResourceChanges): void;
  /** The client reads again: sends what changed while it did not. */
  onDrain(): void;
  /** Per type, the names subscribed to (`*` for a wildcard subscription, beside any named). */
  subscriptions(): ReadonlyMap<string, readonly string[]>;
  /** The stream ended: builds under way stop, and nothing more is sent. */
  close(): void;
}

/** The types whose state-of-the-world responses hold every subscribed resource (see `XdsType.wholeSet`). */
export const WHOLE_SET_TYPE_URLS: ReadonlySet<string> = new Set(
  XDS_TYPES.filter((type) => type.wholeSet).map((type) => type.typeUrl),
);

/** After a response of the key type, the value type is owed one (see `XdsType.owes`). */
export const OWED_AFTER: ReadonlyMap<string, string> = new Map(
  XDS_TYPES.flatMap((type) =>
    type.owes === undefined ? [] : [[type.typeUrl, type.owes] as const],
  ),
);

/** The resource name a client subscribes with to every resource of a type. */
export const WILDCARD = '*';
