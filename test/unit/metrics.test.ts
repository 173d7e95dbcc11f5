import { describe, expect, it } from 'vitest';

import { applyClusterEndpoints, EMPTY_SNAPSHOT } from '../../src/core/index/snapshot.js';
import { toContainerEndpoints } from '../../src/core/labels/to-container-endpoints.js';
import { createMetrics, toContainerCounts } from '../../src/metrics/create-metrics.js';
import { EVENT_FILTERS } from '../../src/sources/docker/to-event-hint.js';
import { anEndpoint } from '../support/records.js';
import { aContainer } from '../support/records.js';

/** The samples of `name` in the text format, as `labels value` lines. */
async function samples(metrics: ReturnType<typeof createMetrics>, name: string): Promise<string[]> {
  const text = await metrics.registry.metrics();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => line.slice(name.length).trim());
}

describe('the metrics', () => {
  it('count Docker events by engine and action, and never make a label of an unknown one', async () => {
    const metrics = createMetrics({ eventActions: EVENT_FILTERS.event });
    metrics.dockerEvent('docker', 'start');
    metrics.dockerEvent('docker', 'health_status: healthy');
    metrics.dockerEvent('docker', 'exec_create: sh -c <a command of 64 KB>');
    metrics.dockerEvent('edge', 'start');
    expect(await samples(metrics, 'eds_agent_docker_events_total')).toEqual([
      '{engine="docker",action="start"} 1',
      '{engine="docker",action="health_status"} 1',
      '{engine="docker",action="other"} 1',
      '{engine="edge",action="start"} 1',
    ]);
  });

  it('count REST polls by API and status class, with their latency', async () => {
    const metrics = createMetrics();
    for (const status of [200, 200, 304, 400, 413, 503]) metrics.restPoll('v3', status, 0.002);
    expect(await samples(metrics, 'eds_agent_rest_polls_total')).toEqual([
      '{api="v3",status="200"} 2',
      '{api="v3",status="304"} 1',
      '{api="v3",status="4xx"} 2',
      '{api="v3",status="5xx"} 1',
    ]);
    expect(await samples(metrics, 'eds_agent_rest_poll_duration_seconds_count')).toEqual([
      '{api="v3"} 6',
    ]);
  });

  it("count reconnects as each engine's sessions after its first, and gRPC replies by resource type", async () => {
    const metrics = createMetrics();
    metrics.dockerSession('docker');
    metrics.dockerSession('edge');
    metrics.dockerSession('docker');
    metrics.dockerSession('docker');
    metrics.grpcReply('nack', 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
    metrics.grpcReply('ack', 'made-up/type with spaces');
    expect(await samples(metrics, 'eds_agent_docker_reconnects_total')).toEqual([
      '{engine="docker"} 2',
    ]);
    expect(await samples(metrics, 'eds_agent_grpc_nacks_total')).toEqual(['{type="Cluster"} 1']);
    expect(await samples(metrics, 'eds_agent_grpc_acks_total')).toEqual(['{type="other"} 1']);
  });

  it('read endpoints and clusters by source from the snapshot, and cluster names only when asked', async () => {
    const { snapshot } = applyClusterEndpoints(EMPTY_SNAPSHOT, [
      [
        'web',
        [anEndpoint({ address: '10.0.0.1' }), anEndpoint({ address: '10.0.0.2', source: 'api' })],
      ],
      ['api', [anEndpoint({ cluster: 'api', address: '10.0.1.1', health: 'draining' })]],
    ]);
    const plain = createMetrics();
    plain.read({ snapshot: () => snapshot });
    expect(await samples(plain, 'eds_agent_endpoints')).toEqual([
      '{source="docker"} 2',
      '{source="api"} 1',
    ]);
    expect(await samples(plain, 'eds_agent_clusters')).toEqual([
      '{source="docker"} 2',
      '{source="api"} 1',
    ]);
    expect(await samples(plain, 'eds_agent_cluster_endpoints')).toEqual([]);
    const labelled = createMetrics({ clusterLabels: true });
    labelled.read({ snapshot: () => snapshot });
    expect((await samples(labelled, 'eds_agent_cluster_endpoints')).sort()).toEqual([
      '{cluster="api",health="DRAINING"} 1',
      '{cluster="web",health="HEALTHY"} 2',
    ]);
  });

  it('count containers by what the agent does with them, withheld ones by reason', async () => {
    const options = {
      addressMode: 'container',
      hostIp: '127.0.0.1',
      network: undefined,
      labelPrefix: 'eds',
    } as const;
    const decided = [
      aContainer(),
      aContainer({ state: 'paused' }),
      aContainer({ health: 'unhealthy' }),
      aContainer({ labels: { 'eds.service': 'web', 'eds.port': 'http' } }),
      aContainer({ labels: { 'eds.service': 'web', 'eds.enable': 'false' } }),
    ].map((record, i) => [String(i), { outcome: toContainerEndpoints(record, options) }] as const);
    const metrics = createMetrics();
    metrics.read({ containers: () => toContainerCounts(decided) });
    expect(await samples(metrics, 'eds_agent_containers')).toEqual([
      '{state="served",reason=""} 1',
      '{state="invalid",reason=""} 1',
      '{state="ignored",reason=""} 1',
      '{state="withheld",reason="paused"} 1',
      '{state="withheld",reason="health unhealthy"} 1',
    ]);
  });

  it('include the process and Node.js runtime metrics', async () => {
    const text = await createMetrics().registry.metrics();
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});
