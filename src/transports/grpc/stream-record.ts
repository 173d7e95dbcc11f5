import { clipText, MAX_NODE_ID_LENGTH } from '../../core/clip-text.js';
import { toShortTypeName } from '../../core/type-urls.js';
import type { GrpcStreamStatus, StreamTypeStatus } from '../../status/client-status.js';
import type { ClientReply } from './xds-protocol.js';

/** Most names a stream's status lists per type, and their longest shown; the rest are counted. */
const MAX_LISTED_NAMES = 20;
const MAX_LISTED_NAME_LENGTH = 256;
/** The longest NACK message kept (Envoy's name the field and the rule a resource broke). */
export const MAX_NACK_MESSAGE_LENGTH = 1024;

interface TypeRecord {
  sent?: string;
  /** When the last response was sent (ms since the epoch). */
  sentAt?: number;
  acked?: string;
  lastNack?: StreamTypeStatus['lastNack'];
}

/**
 * What the server remembers of one stream besides its protocol state: who the client is, what
 * it was last sent, and what it last ACKed or NACKed, per type. Bounded: one entry per type.
 */
export class StreamRecord {
  #node = '';
  #userAgent: string | undefined;
  /** The cluster and policy pairs this client was warned about, each once. */
  readonly #warned = new Set<string>();
  readonly #types = new Map<string, TypeRecord>();
  readonly #connectedAt: string;

  constructor(
    readonly service: string,
    readonly protocol: 'sotw' | 'delta',
    now: number,
  ) {
    this.#connectedAt = new Date(now).toISOString();
  }

  /** The client's node id, once a request has named it. */
  get node(): string {
    return this.#node;
  }

  /** Its xDS client's `node.user_agent_name` (`envoy`, `gRPC Go`, ...), once a request named it. */
  get userAgent(): string | undefined {
    return this.#userAgent;
  }

  /** A request arrived; the first with a node id names the client. */
  onRequest(request: { node?: { id?: string; user_agent_name?: string } | null }): void {
    if (this.#node === '' && request.node?.id)
      this.#node = clipText(request.node.id, MAX_NODE_ID_LENGTH);
    if (this.#userAgent === undefined && request.node?.user_agent_name)
      this.#userAgent = clipText(request.node.user_agent_name, MAX_NODE_ID_LENGTH);
  }

  /** True the first time `key` is given: for warnings due once per stream. */
  firstTime(key: string): boolean {
    if (this.#warned.has(key)) return false;
    this.#warned.add(key);
    return true;
  }

  onSent(typeUrl: string, version: string, now = Date.now()): void {
    const record = this.#type(typeUrl);
    record.sent = version;
    record.sentAt = now;
  }

  /** Whether the client accepted the last response of `typeUrl`, sent at `since` or later. */
  ackedSince(typeUrl: string, since: number): boolean {
    const record = this.#types.get(typeUrl);
    return (
      record?.sentAt !== undefined &&
      record.sentAt >= since &&
      record.sent !== undefined &&
      record.acked === record.sent
    );
  }

  onReply(reply: ClientReply, now: number): void {
    const record = this.#type(reply.typeUrl);
    if (reply.kind === 'ack') record.acked = reply.version;
    else
      record.lastNack = {
        version: reply.version,
        message: clipText(reply.message, MAX_NACK_MESSAGE_LENGTH),
        at: new Date(now).toISOString(),
      };
  }

  /** The status, with the subscriptions as the stream's protocol state has them. */
  toStatus(subscriptions: ReadonlyMap<string, readonly string[]>): GrpcStreamStatus {
    const types = new Set([...subscriptions.keys(), ...this.#types.keys()]);
    return {
      node: this.#node,
      service: this.service,
      protocol: this.protocol,
      connectedAt: this.#connectedAt,
      types: [...types].sort().map((typeUrl) => {
        const names = subscriptions.get(typeUrl) ?? [];
        const record = this.#types.get(typeUrl) ?? {};
        return {
          type: toShortTypeName(typeUrl),
          names: names
            .slice(0, MAX_LISTED_NAMES)
            .map((name) => clipText(name, MAX_LISTED_NAME_LENGTH)),
          namesTotal: names.length,
          sent: record.sent,
          acked: record.acked,
          lastNack: record.lastNack,
        };
      }),
    };
  }

  #type(typeUrl: string): TypeRecord {
    let record = this.#types.get(typeUrl);
    if (!record) {
      record = {};
      this.#types.set(typeUrl, record);
    }
    return record;
  }
}
