import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Cluster {
  name: string;
  type?: string;
  eds_cluster_config?: {
    service_name?: string;
    eds_config?: {
      resource_api_version?: string;
      api_config_source?: {
        api_type?: string;
        transport_api_version?: string;
        cluster_names?: string[];
        refresh_delay?: string;
      };
    };
  };
  load_assignment?: {
    endpoints: {
      lb_endpoints: {
        endpoint: { address: { socket_address: { address: string; port_value: number } } };
      }[];
    }[];
  };
}

const read = (path: string): unknown =>
  parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));

describe('the Envoy config the repo ships', () => {
  const clusters = (read('examples/envoy.yaml') as { static_resources: { clusters: Cluster[] } })
    .static_resources.clusters;

  it('polls the agent over REST, v3, with a refresh delay, through a static cluster', () => {
    const web = clusters.find((cluster) => cluster.name === 'web');
    expect(web?.type).toBe('EDS');
    expect(web?.eds_cluster_config?.eds_config?.resource_api_version).toBe('V3');
    const source = web?.eds_cluster_config?.eds_config?.api_config_source;
    expect(source).toMatchObject({
      api_type: 'REST',
      transport_api_version: 'V3',
      cluster_names: ['eds_cluster'],
    });
    expect(source?.refresh_delay).toMatch(/^\d+(\.\d+)?s$/);
    const eds = clusters.find((cluster) => cluster.name === source?.cluster_names?.[0]);
    expect(eds?.type).not.toBe('EDS');
    expect(
      eds?.load_assignment?.endpoints[0]?.lb_endpoints[0]?.endpoint.address.socket_address
        .port_value,
    ).toBe(8080);
  });

  it('asks for the cluster the top-level compose file labels', () => {
    const web = clusters.find((cluster) => cluster.type === 'EDS');
    const compose = read('docker-compose.yml') as {
      services: Record<string, { labels: Record<string, string> }>;
    };
    expect(
      Object.values(compose.services).map((service) => service.labels['eds.service']),
    ).toContain(web?.eds_cluster_config?.service_name);
  });
});
