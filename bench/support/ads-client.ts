import * as grpc from '@grpc/grpc-js';

import { loadEnvoyProtos } from '../../src/transports/grpc/load-envoy-protos.js';
import { toServiceDefinition } from '../../src/transports/grpc/to-service-definition.js';

/** A DiscoveryResponse as the benchmarks read it (resources left encoded). */
export interface AdsResponse {
  readonly version_info?: string;
  readonly nonce: string;
  readonly type_url: string;
  readonly resources?: readonly { readonly type_url: string; readonly value: Uint8Array }[];
}

/** A client of an agent's aggregated discovery (state of the world). */
export type AdsClient = grpc.Client & {
  call: () => grpc.ClientDuplexStream<object, AdsResponse>;
};

/**
 * A client of the ADS service at 127.0.0.1:`port`, on a connection of its own, taking answers
 * of any size: requests are written as plain objects (`{ type_url, resource_names, ... }`).
 */
export function createAdsClient(port: number): AdsClient {
  const Client = grpc.makeGenericClientConstructor(
    toServiceDefinition(
      loadEnvoyProtos(),
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
      'call',
      'sotw',
    ),
    'Ads',
  );
  return new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': -1,
  }) as unknown as AdsClient;
}
