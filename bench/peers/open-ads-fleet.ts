import { performance } from 'node:perf_hooks';

import * as grpc from '@grpc/grpc-js';

import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL as ENDPOINTS_TYPE_URL } from '../../src/core/type-urls.js';
import { loadEnvoyProtos } from '../../src/transports/grpc/load-envoy-protos.js';
import { toServiceDefinition } from '../../src/transports/grpc/to-service-definition.js';

/** The first endpoint of a changed assignment is `10.9.<generation / 250>.<generation % 250>`. */
export const markerAddress = (generation: number) =>
  `10.9.${Math.floor(generation / 250)}.${generation % 250}`;
const MARKER = Buffer.from('10.9.');

/** Many simulated Envoys on ADS streams, as the fan-out benchmark drives them. */
export interface AdsFleet {
  /** Resolves once every stream had its first response, with how long that took. */
  readonly opened: Promise<number>;
  /**
   * Resolves, per subscriber, with the ms from `since` until it received `cluster` at
   * `generation` (Infinity for one that did not within 10 s).
   */
  expect(
    cluster: string,
    generation: number,
    subscribers: readonly number[],
    since: number,
  ): Promise<number[]>;
  /** Responses received so far, by every stream. */
  responses(): number;
  close(): void;
}

interface AnyBytes {
  readonly type_url: string;
  readonly value: Uint8Array;
}

/** The cluster name (field 1, the first one written) and the marker generation of an assignment. */
function readAssignment(value: Uint8Array): { cluster: string; generation: number } | undefined {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (bytes[0] !== 0x0a) return undefined;
  let length = 0;
  let shift = 0;
  let at = 1;
  for (;;) {
    const byte = bytes[at++] ?? 0;
    length |= (byte & 0x7f) << shift;
    if (byte < 0x80) break;
    shift += 7;
  }
  const cluster = bytes.toString('utf8', at, at + length);
  const marker = bytes.indexOf(MARKER, at + length);
  if (marker < 0) return { cluster, generation: -1 };
  const rest = /^(\d+)\.(\d+)/.exec(bytes.toString('latin1', marker + MARKER.length, marker + 13));
  return { cluster, generation: rest ? Number(rest[1]) * 250 + Number(rest[2]) : -1 };
}

/**
 * Opens `streams` ADS streams (state of the world or delta) over `channels` HTTP/2 connections
 * to 127.0.0.1:`port`, stream i subscribed to the assignments `subscriptionOf(i)`, each
 * response ACKed at once. What every stream receives is read only as far as the fan-out needs:
 * each assignment's cluster name and marker generation.
 */
export function openAdsFleet(options: {
  port: number;
  streams: number;
  channels: number;
  protocol: 'sotw' | 'delta';
  subscriptionOf: (stream: number) => string[];
}): AdsFleet {
  const root = loadEnvoyProtos();
  const method =
    options.protocol === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources';
  const Client = grpc.makeGenericClientConstructor(
    toServiceDefinition(
      root,
      `/envoy.service.discovery.v3.AggregatedDiscoveryService/${method}`,
      'call',
      options.protocol,
    ),
    'Ads',
  );
  const channels = Array.from(
    { length: options.channels },
    (_, i) =>
      new Client(`127.0.0.1:${options.port}`, grpc.credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
        'grpc.channel_id': i,
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
      }) as unknown as { call: () => grpc.ClientDuplexStream<object, Response> } & grpc.Client,
  );
  interface Response {
    nonce: string;
    version_info?: string;
    resources?: (AnyBytes | { name: string; resource: AnyBytes })[];
  }
  /** `cluster generation` → per stream, when it was received (0: not yet). */
  const awaited = new Map<string, Float64Array>();
  let responses = 0;
  let answered = 0;
  let resolveOpened: (ms: number) => void = () => undefined;
  const opened = new Promise<number>((resolve) => (resolveOpened = resolve));
  const started = performance.now();

  const calls = Array.from({ length: options.streams }, (_, index) => {
    const call = channels[index % options.channels]?.call();
    if (!call) throw new Error('no channel');
    let first = true;
    call.on('data', (response: Response) => {
      const now = performance.now();
      responses += 1;
      for (const item of response.resources ?? []) {
        const any = 'resource' in item ? item.resource : item;
        const read = readAssignment(any.value);
        const times = read && awaited.get(`${read.cluster} ${read.generation}`);
        if (times && times[index] === 0) times[index] = now;
      }
      if (first) {
        first = false;
        answered += 1;
        if (answered === options.streams) resolveOpened(now - started);
      }
      call.write(
        options.protocol === 'sotw'
          ? {
              type_url: ENDPOINTS_TYPE_URL,
              resource_names: options.subscriptionOf(index),
              version_info: response.version_info,
              response_nonce: response.nonce,
            }
          : { type_url: ENDPOINTS_TYPE_URL, response_nonce: response.nonce },
      );
    });
    call.on('error', () => undefined);
    const node = { id: `envoy-${index}`, cluster: 'bench' };
    call.write(
      options.protocol === 'sotw'
        ? { node, type_url: ENDPOINTS_TYPE_URL, resource_names: options.subscriptionOf(index) }
        : {
            node,
            type_url: ENDPOINTS_TYPE_URL,
            resource_names_subscribe: options.subscriptionOf(index),
          },
    );
    return call;
  });

  return {
    opened,
    async expect(cluster, generation, subscribers, since) {
      const times = new Float64Array(options.streams);
      awaited.set(`${cluster} ${generation}`, times);
      const deadline = since + 10_000;
      while (subscribers.some((i) => times[i] === 0) && performance.now() < deadline)
        await new Promise((resolve) => setImmediate(resolve));
      awaited.delete(`${cluster} ${generation}`);
      return subscribers.map((i) => (times[i] ? (times[i] ?? 0) - since : Infinity));
    },
    responses: () => responses,
    close() {
      for (const call of calls) call.cancel();
      for (const channel of channels) channel.close();
    },
  };
}
