import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { parseConfig } from '../../src/config/parse-config.js';
import { buildBootstrap } from '../../src/core/front-door/build-bootstrap.js';
import { requireEnvoy, TESTED_ENVOY_VERSION } from '../support/envoy-binary.js';
import { REPO_ROOT, repoFiles } from '../support/repo-files.js';
import { lacks } from '../support/test-tools.js';
import { checkProtoJson } from './support/check-proto-json.js';
import { loadEnvoyProtos } from './support/load-envoy-protos.js';

const readYaml = (path: string): unknown => parse(readFileSync(join(REPO_ROOT, path), 'utf8'));

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
interface Bootstrap {
  static_resources: { clusters: Cluster[] };
  dynamic_resources?: {
    ads_config?: {
      api_type?: string;
      transport_api_version?: string;
      grpc_services?: { envoy_grpc?: { cluster_name?: string } }[];
    };
    cds_config?: { ads?: object; resource_api_version?: string };
  };
}

const ENVOY_CONFIGS = repoFiles(/^examples\/.*envoy[^/]*\.ya?ml$/);
/** The configs that poll the agent over REST; the others are fed over gRPC ADS. */
const REST_CONFIGS = ENVOY_CONFIGS.filter(
  (path) => (readYaml(path) as Bootstrap).dynamic_resources === undefined,
);
const ADS_CONFIGS = ENVOY_CONFIGS.filter((path) => !REST_CONFIGS.includes(path));

describe('the Envoy configs the repo ships', () => {
  it('include one per example', () => {
    expect(ENVOY_CONFIGS).toEqual([
      'examples/ads-grpc/envoy.yaml',
      'examples/front-door/envoy.yaml',
      'examples/host-mode/envoy.yaml',
      'examples/label-routing/envoy.yaml',
      'examples/tutorial-rest-eds/envoy.yaml',
    ]);
    expect(ADS_CONFIGS).toEqual([
      'examples/ads-grpc/envoy.yaml',
      'examples/front-door/envoy.yaml',
      'examples/label-routing/envoy.yaml',
    ]);
  });

  it('front-door/envoy.yaml is what `eds-agent bootstrap` prints for its compose stack', () => {
    const parsed = parseConfig(
      ['bootstrap', '--xds-address', 'eds-agent:18000', '--envoy-admin', '0.0.0.0:9901'],
      {},
    );
    if (!parsed.ok || parsed.value.kind !== 'bootstrap') throw new Error(JSON.stringify(parsed));
    expect(readYaml('examples/front-door/envoy.yaml')).toEqual(
      buildBootstrap(parsed.value.bootstrap),
    );
  });

  it.each(ADS_CONFIGS)(
    '%s takes clusters and endpoints over ADS from the agent, and has no cluster of a service',
    (path) => {
      const config = readYaml(path) as Bootstrap;
      const ads = config.dynamic_resources?.ads_config;
      expect(['GRPC', 'DELTA_GRPC']).toContain(ads?.api_type);
      expect(ads?.transport_api_version).toBe('V3');
      expect(config.dynamic_resources?.cds_config).toEqual({ ads: {}, resource_api_version: 'V3' });
      const clusters = config.static_resources.clusters;
      expect(clusters.map((cluster) => cluster.name)).toEqual([
        ads?.grpc_services?.[0]?.envoy_grpc?.cluster_name,
      ]);
      const socket =
        clusters[0]?.load_assignment?.endpoints[0]?.lb_endpoints[0]?.endpoint.address
          .socket_address;
      expect(socket).toEqual({ address: 'eds-agent', port_value: 18000 });
      expect(JSON.stringify(clusters[0])).toContain('http2_protocol_options');
    },
  );

  it.each(ENVOY_CONFIGS)(
    '%s parses as envoy.config.bootstrap.v3.Bootstrap with no unknown field',
    (path) => {
      expect(
        checkProtoJson(loadEnvoyProtos(), 'envoy.config.bootstrap.v3.Bootstrap', readYaml(path)),
      ).toEqual([]);
    },
  );

  it.each(REST_CONFIGS)(
    '%s polls the agent over REST v3 with a refresh delay, through a static cluster',
    (path) => {
      const clusters = (readYaml(path) as Bootstrap).static_resources.clusters;
      const eds = clusters.filter((cluster) => cluster.type === 'EDS');
      expect(eds.length).toBeGreaterThan(0);
      for (const cluster of eds) {
        const config = cluster.eds_cluster_config?.eds_config;
        expect(config?.resource_api_version).toBe('V3');
        expect(config?.api_config_source).toMatchObject({
          api_type: 'REST',
          transport_api_version: 'V3',
        });
        expect(config?.api_config_source?.refresh_delay).toMatch(/^\d+(\.\d+)?s$/);
        const names = config?.api_config_source?.cluster_names ?? [];
        expect(names).toHaveLength(1);
        const management = clusters.find((candidate) => candidate.name === names[0]);
        expect(['STATIC', 'STRICT_DNS', 'LOGICAL_DNS']).toContain(management?.type);
        const socket =
          management?.load_assignment?.endpoints[0]?.lb_endpoints[0]?.endpoint.address
            .socket_address;
        expect(socket?.port_value).toBe(8080);
        expect(['eds-agent', '127.0.0.1']).toContain(socket?.address);
      }
    },
  );

  it.each(REST_CONFIGS)('%s asks for the cluster its compose file labels', (path) => {
    const services = (readYaml(path) as Bootstrap).static_resources.clusters
      .filter((cluster) => cluster.type === 'EDS')
      .map((cluster) => cluster.eds_cluster_config?.service_name ?? cluster.name);
    const composePath = join(dirname(path), 'docker-compose.yml');
    const compose = readYaml(composePath) as {
      services: Record<string, { labels?: Record<string, string>; volumes?: string[] }>;
    };
    const labelled = Object.values(compose.services).map(
      (service) => service.labels?.['eds.service'],
    );
    for (const service of services) expect(labelled).toContain(service);
  });

  it.each([
    ['docker-compose.yml', './examples/front-door/envoy.yaml'],
    ['examples/ads-grpc/docker-compose.yml', './envoy.yaml'],
    ['examples/front-door/docker-compose.yml', './envoy.yaml'],
  ])('has %s mount %s into Envoy', (path, config) => {
    const compose = readYaml(path) as {
      services: { envoy: { image: string; volumes: string[] } };
    };
    expect(compose.services.envoy.volumes).toContain(`${config}:/etc/envoy/envoy.yaml:ro`);
  });

  it.each(['docker-compose.yml', 'examples/front-door/docker-compose.yml'])(
    "has %s publish on the host the ports its agent's listeners take in Envoy",
    (path) => {
      interface Service {
        command?: string[];
        ports?: string[];
      }
      const compose = readYaml(path) as { services: Record<string, Service> };
      const command = compose.services['eds-agent']?.command ?? [];
      const listen = command[command.indexOf('--listen') + 1] ?? '';
      const ports = [...listen.matchAll(/=(?:.*:)?(\d+)/g)].map((match) => match[1]);
      expect(ports).toHaveLength(2);
      for (const port of ports)
        expect(compose.services.envoy?.ports).toContain(`127.0.0.1:${port}:${port}`);
    },
  );

  it('has the label-routing example take its routes from the agent, with no route of its own', () => {
    const text = JSON.stringify(readYaml('examples/label-routing/envoy.yaml'));
    expect(text).toContain('"rds":{"route_config_name":"eds-agent","config_source":{"ads":{}');
    expect(text).not.toContain('route_config"');
    expect(text).not.toContain('virtual_hosts');
  });

  it.each([
    'docker-compose.yml',
    'examples/ads-grpc/docker-compose.yml',
    'examples/front-door/docker-compose.yml',
    'examples/tutorial-rest-eds/docker-compose.yml',
    'examples/label-routing/docker-compose.yml',
    'examples/several-engines/docker-compose.yml',
    'examples/grpc-behind-envoy/docker-compose.yml',
  ])('%s runs the Envoy version the tests run', (path) => {
    const compose = readYaml(path) as { services: { envoy: { image: string } } };
    expect(compose.services.envoy.image).toBe(`envoyproxy/envoy:v${TESTED_ENVOY_VERSION}`);
  });

  it('has the several-engines example give both agents the engines its comments describe', () => {
    interface Agent {
      environment: Record<string, string>;
      networks: { default: { aliases: string[] } };
    }
    const compose = readYaml('examples/several-engines/docker-compose.yml') as {
      services: Record<string, Agent>;
    };
    const agents = ['eds-agent-a', 'eds-agent-b'].map((name) => compose.services[name]);
    expect(agents[0]).toEqual(agents[1]);
    expect(agents[0]?.networks.default.aliases).toEqual(['eds-agent']);
    // Compose's interpolation, with the values the comments tell a user to export.
    const given: Record<string, string> = { LOCAL_IP: '192.0.2.10', EDGE_HOST: '192.0.2.20' };
    const env = Object.fromEntries(
      Object.entries(agents[0]?.environment ?? {}).map(([name, value]) => [
        name,
        value.replace(/\$\{(\w+)(?::\?[^}]*)?\}/g, (_, variable: string) => given[variable] ?? ''),
      ]),
    );
    const parsed = parseConfig([], env);
    if (!parsed.ok || parsed.value.kind !== 'run') throw new Error(JSON.stringify(parsed));
    const { engines, readOnly, address } = parsed.value.config;
    expect({ readOnly, addressMode: address.addressMode }).toEqual({
      readOnly: true,
      addressMode: 'host',
    });
    expect(engines.map(({ name, url, hostIp }) => ({ name, url, hostIp }))).toEqual([
      { name: 'local', url: 'unix:///var/run/docker.sock', hostIp: '192.0.2.10' },
      { name: 'edge', url: 'tcp://192.0.2.20:2376', hostIp: '192.0.2.20' },
    ]);
    expect(engines[1]?.endpoint).toMatchObject({
      tls: { verify: true, ca: { path: '/certs/edge/ca.pem', explicit: true } },
    });
  });

  it('would catch a misspelt field (the check is strict)', () => {
    const config = readYaml('examples/host-mode/envoy.yaml') as Bootstrap;
    const [web] = config.static_resources.clusters;
    const source = web?.eds_cluster_config?.eds_config?.api_config_source as Record<
      string,
      unknown
    >;
    source.refresh_dealy = source.refresh_delay;
    delete source.refresh_delay;
    expect(
      checkProtoJson(loadEnvoyProtos(), 'envoy.config.bootstrap.v3.Bootstrap', config).join(),
    ).toMatch(/refresh_dealy: unknown field of envoy.config.core.v3.ApiConfigSource/);
  });
});

// The proto checks above cannot see what only a running Envoy enforces (a REST EDS cluster
// needs a `node` with an id and a cluster, for instance); Envoy's own validate mode does.
const MISSING_TOOLS = lacks('envoy');
describe.skipIf(MISSING_TOOLS)('the Envoy configs the repo ships, read by Envoy itself', () => {
  const run = promisify(execFile);

  it.each(ENVOY_CONFIGS)('%s passes `envoy --mode validate`', async (path) => {
    const { stdout, stderr } = await run(
      requireEnvoy(),
      ['--mode', 'validate', '-c', join(REPO_ROOT, path), '--disable-hot-restart'],
      { timeout: 30_000 },
    );
    expect(`${stdout}${stderr}`).toMatch(/configuration '.*' OK/);
  });

  it('would catch a config Envoy refuses (the check is real)', async () => {
    const config = readYaml('examples/host-mode/envoy.yaml') as Record<string, unknown>;
    delete config.node;
    const dir = mkdtempSync(join(tmpdir(), 'eds-agent-config-'));
    const file = join(dir, 'envoy-without-node.json');
    writeFileSync(file, JSON.stringify(config));
    try {
      await expect(
        run(requireEnvoy(), ['--mode', 'validate', '-c', file, '--disable-hot-restart']),
      ).rejects.toMatchObject({
        stderr: expect.stringMatching(/node 'id' and 'cluster' are required/) as unknown,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Swarm stack (examples/swarm/stack.yml)', () => {
  interface StackService {
    image: string;
    user?: string;
    volumes?: string[];
    networks?: string[];
    configs?: { source: string; target: string }[];
    deploy?: { labels?: Record<string, string>; placement?: { constraints?: string[] } };
  }
  const stack = readYaml('examples/swarm/stack.yml') as {
    services: Record<string, StackService>;
    configs: Record<string, { file: string }>;
  };

  it('runs the agent on a manager, with the socket, beside Envoy on the same overlay network', () => {
    const agent = stack.services['eds-agent'];
    expect(agent?.deploy?.placement?.constraints).toEqual(['node.role == manager']);
    expect(agent?.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock:ro');
    expect(agent?.networks).toEqual(stack.services.envoy?.networks);
  });

  it("runs the agent as the image's node user in the socket's group, never root nor group 0", () => {
    expect(stack.services['eds-agent']?.user).toMatch(/^1000:\$\{DOCKER_GID:\?[^}]+\}$/);
  });

  it("labels the service itself, and gives Envoy the ADS example's config, which exists", () => {
    expect(stack.services.web?.deploy?.labels).toEqual({ 'eds.service': 'web', 'eds.port': '80' });
    const config = stack.configs[stack.services.envoy?.configs?.[0]?.source ?? ''];
    expect(ADS_CONFIGS).toContain(join('examples/swarm', config?.file ?? '').replaceAll('\\', '/'));
  });
});
