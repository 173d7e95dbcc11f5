import { describe, expect, it } from 'vitest';

import { Duration } from '../../src/core/duration.js';
import { buildCluster } from '../../src/core/envoy/build-cluster.js';
import { LB_POLICIES } from '../../src/core/labels/option-values.js';
import { DEFAULT_SERVICE_OPTIONS } from '../../src/core/labels/service-options.js';
import { CLUSTER_TYPE_URL } from '../../src/core/type-urls.js';
import { packAny } from '../../src/transports/grpc/encode-proto3-json.js';
import { checkProtoJson } from './support/check-proto-json.js';
import { loadEnvoyProtos } from './support/load-envoy-protos.js';

// The Cluster the gRPC server sends for each service, checked as Envoy would check it, and
// its binary form read back.
describe('the Cluster resource of a service', () => {
  const root = loadEnvoyProtos();
  const names = ['web', 'shop.api:v2', '_internal-1', 'a'.repeat(255)];

  it.each(names)('passes strict decoding and the validate rules for %s', (name) => {
    expect(checkProtoJson(root, 'envoy.config.cluster.v3.Cluster', buildCluster(name))).toEqual([]);
  });

  it.each(LB_POLICIES)(
    'passes them with lb_policy %s and a label-set connect timeout',
    (policy) => {
      const cluster = buildCluster('web', {
        ...DEFAULT_SERVICE_OPTIONS,
        lb_policy: policy,
        connect_timeout: Duration.ofMs(250),
      });
      expect(checkProtoJson(root, 'envoy.config.cluster.v3.Cluster', cluster)).toEqual([]);
    },
  );

  it('reads back from its packed bytes as the same cluster', () => {
    const any = packAny(root, { '@type': CLUSTER_TYPE_URL, ...buildCluster('web') });
    const type = root.lookupType('envoy.config.cluster.v3.Cluster');
    expect(type.toObject(type.decode(any.value), { enums: String, longs: Number })).toEqual({
      name: 'web',
      type: 'EDS',
      connect_timeout: { seconds: 1, nanos: 0 },
      lb_policy: 'ROUND_ROBIN',
      eds_cluster_config: {
        service_name: 'web',
        eds_config: { ads: {}, resource_api_version: 'V3' },
      },
    });
  });
});
