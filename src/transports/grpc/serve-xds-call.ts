import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

import type { GrpcLimits } from '../../config/grpc-limits.js';
import type { TurnBudget } from '../shared/create-turn-budget.js';
import type { StreamCallbacks } from './create-stream-callbacks.js';
import type { StreamLimits } from './create-stream-limits.js';
import type { createRequestDecoder } from './decode-discovery-request.js';
import { DeltaStream } from './delta-stream.js';
import { SotwStream } from './sotw-stream.js';
import { StreamRecord } from './stream-record.js';
import type {
  BuildScheduler,
  ClientReply,
  DeltaResponse,
  SotwResponse,
  XdsResources,
  XdsStream,
  XdsStreamOptions,
} from './xds-protocol.js';

/** One xDS stream as the server holds it: requests as their bytes, responses as objects. */
export type XdsCall = grpc.ServerDuplexStream<Buffer, object>;

/** One method served: its service's short name, its protocol, and how its requests are read. */
export interface ServedMethod {
  readonly short: string;
  readonly kind: 'sotw' | 'delta';
  readonly decode: ReturnType<typeof createRequestDecoder>;
  /** The type a request that names none asks for: the service's one type, if it has one. */
  readonly defaultType: string | undefined;
  readonly served: ReadonlySet<string>;
}

/** What every call shares: the server's streams, bounds, resources and callbacks. */
export interface CallContext {
  readonly streams: Map<XdsStream, StreamRecord>;
  readonly calls: Set<XdsCall>;
  readonly admission: StreamLimits;
  readonly resources: XdsResources;
  readonly limits: GrpcLimits;
  readonly schedule: BuildScheduler;
  readonly turns: TurnBudget;
  readonly callbacks: StreamCallbacks;
  readonly logger: Logger;
  readonly now: () => number;
  readonly onReply: (record: StreamRecord, reply: ClientReply) => void;
  /** A stream its client reset before any request (see the rapid-reset guard). */
  readonly onEarlyReset: (peer: string) => void;
}

/**
 * Serves one xDS call: admitted within the stream bounds, a stream of its protocol fed its
 * requests one event-loop turn at a time, and released however it ends.
 */
export function serveXdsCall(call: XdsCall, method: ServedMethod, context: CallContext): void {
  // Reset already (a rapid-reset client's streams mostly are): nothing to serve.
  if (call.cancelled) {
    context.onEarlyReset(call.getPeer());
    return;
  }
  const admitted = context.admission.admit(call.getPeer());
  if (!admitted.ok) {
    endCall(call, grpc.status.RESOURCE_EXHAUSTED, admitted.problems.join('; '));
    return;
  }
  const release = admitted.value;
  const record = new StreamRecord(method.short, method.kind, context.now());
  const send = (response: SotwResponse | DeltaResponse) => {
    record.onSent(
      response.type_url,
      'version_info' in response ? response.version_info : response.nonce,
    );
    context.callbacks.onResponse?.(record, response.type_url);
    return call.write(response);
  };
  const reply = (answer: ClientReply) => {
    context.onReply(record, answer);
  };
  const options: XdsStreamOptions<SotwResponse | DeltaResponse> = {
    resources: context.resources,
    served: method.served,
    send,
    onReply: reply,
    limits: context.limits,
    schedule: context.schedule,
  };
  const stream: XdsStream =
    method.kind === 'sotw' ? new SotwStream(options) : new DeltaStream(options);
  context.streams.set(stream, record);
  context.calls.add(call);
  const done = () => {
    if (!context.streams.delete(stream)) return;
    context.calls.delete(call);
    stream.close();
    release();
  };
  /** Ends the stream for the client's mistake: nothing more of it is read or sent. */
  const refuse = (problem: string) => {
    context.logger.debug({ node: record.node, problem }, 'refused a gRPC request');
    done();
    endCall(call, grpc.status.INVALID_ARGUMENT, problem);
  };
  // A request is decoded and handled in its turn, as a REST poll is, a large one (10,000
  // names take milliseconds) as bulk work. The stream reads nothing more meanwhile (its
  // half-close included), so its requests keep their order and no client queues more.
  let requested = false;
  call.on('data', (bytes: Buffer) => {
    requested = true;
    call.pause();
    context.turns.run(() => {
      call.resume();
      if (!context.streams.has(stream)) return;
      const decoded = method.decode(bytes);
      if (!decoded.ok) {
        refuse(decoded.problems.join('; '));
        return;
      }
      record.onRequest(decoded.value);
      const refused = stream.onRequest(decoded.value, method.defaultType);
      if (refused !== undefined) refuse(refused);
      else context.callbacks.onSubscriptions?.(stream, record);
    }, bytes.length);
  });
  call.on('drain', () => {
    stream.onDrain();
  });
  call.on('end', () => {
    done();
    call.end();
  });
  call.on('error', done);
  call.on('cancelled', () => {
    if (!requested) context.onEarlyReset(call.getPeer());
    done();
  });
}

/** Ends a call with a status the client sees (its `details`, for a person to read). */
export function endCall(call: XdsCall, code: grpc.status, details: string): void {
  call.emit('error', { code, details });
}
