import { createHash } from 'node:crypto';
import { Script } from 'node:vm';

import { afterEach, describe, expect, it } from 'vitest';

import type { StatusJson } from '../../src/status/build-status.js';
import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { ENVOY_NODE } from '../support/envoy-node.js';
import { pollEds, send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { FakeDockerEngine } from '../support/fake-docker-engine.js';
import { closeAll, connectAds, EDS } from '../support/xds-test-client.js';

const TOKEN = 's3cret-token';
const served = {
  id: `${'1'.repeat(12)}${'a'.repeat(52)}`,
  name: 'web-1',
  labels: { 'eds.service': 'web', 'eds.port': '8080' },
  running: true,
  ip: '10.0.0.1',
};
const broken = {
  id: `${'2'.repeat(12)}${'b'.repeat(52)}`,
  name: 'web-broken',
  labels: { 'eds.service': 'web', 'eds.port': 'http' },
  running: true,
  ip: '10.0.0.2',
};

let agent: TestAgent | undefined;
afterEach(async () => {
  await closeAll();
  await agent?.stop();
  agent = undefined;
});

async function start(args: string[] = []): Promise<TestAgent> {
  const engine = new FakeDockerEngine();
  engine.add(served);
  engine.add(broken);
  agent = await startTestAgent(args, { dockerClient: engine });
  return agent;
}
const get = (port: number, path: string, token?: string, headers: Record<string, string> = {}) =>
  send(port, {
    method: 'GET',
    path,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });

describe('GET /status', () => {
  it('shows every container with what was decided and why, the clusters, and who polls', async () => {
    const { port } = await start();
    await pollEds(port, 'web');
    const status = JSON.parse((await get(port, '/status')).text) as StatusJson;
    expect(status.agent).toMatchObject({ ready: true, notReadyReasons: [] });
    expect(status.engines).toEqual([
      {
        name: 'docker',
        host: 'unix:///var/run/docker.sock',
        synced: true,
        connected: true,
        responsive: true,
        engine: expect.objectContaining({ product: 'docker' }) as unknown,
        swarm: { synced: true, active: false },
        awaySince: null,
        withdrawn: false,
      },
    ]);
    expect(status.containers).toEqual([
      {
        id: '111111111111',
        name: 'web-1',
        engine: 'docker',
        state: 'served',
        reason: null,
        endpoints: [{ cluster: 'web', address: '10.0.0.1:8080', health: 'HEALTHY' }],
        notes: [],
      },
      {
        id: '222222222222',
        name: 'web-broken',
        engine: 'docker',
        state: 'invalid',
        reason: 'labels["eds.port"]: expected an integer 1-65535, got "http"',
        endpoints: [],
        notes: [],
      },
    ]);
    expect(status.clusters).toEqual([
      {
        name: 'web',
        version: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
        sources: ['docker'],
        endpoints: [
          { address: '10.0.0.1:8080', health: 'HEALTHY', source: 'docker', hostname: 'web-1' },
        ],
      },
    ]);
    expect(status.routes.virtualHosts).toEqual([
      { name: 'web', domains: ['web', 'web.localhost'], routes: ['/ → web'] },
    ]);
    expect(status.clients.rest).toEqual([
      expect.objectContaining({ node: ENVOY_NODE.id, api: 'v3', clusters: 'web', polls: 1 }),
    ]);
  });

  it('says the reason of a skipped container in the words of the log', async () => {
    const { port, logs } = await start();
    const status = JSON.parse((await get(port, '/status')).text) as StatusJson;
    const reason = status.containers.find((c) => c.name === 'web-broken')?.reason ?? '';
    expect(logs.find((line) => line.containerName === 'web-broken')?.msg).toBe(
      `skipping container: ${reason}`,
    );
  });

  it('lists each gRPC stream with its node, subscriptions and the version it ACKed', async () => {
    const { agent: running, port } = await start();
    const ads = connectAds(running.grpcPort ?? 0, 'sotw');
    ads.send({ type_url: EDS, resource_names: ['web'] });
    const response = await ads.next();
    ads.send({
      type_url: EDS,
      resource_names: ['web'],
      version_info: response.version_info,
      response_nonce: response.nonce,
    });
    const stream = await eventually(
      'the ACK shows',
      async () => (JSON.parse((await get(port, '/status')).text) as StatusJson).clients.grpc[0],
      (found) => found?.types[0]?.acked !== undefined,
    );
    expect(stream).toMatchObject({
      node: 'test-node',
      service: 'ads',
      protocol: 'sotw',
      types: [{ type: 'ClusterLoadAssignment', names: ['web'], acked: response.version_info }],
    });
  });
});

describe('GET /metrics', () => {
  it('answers the Prometheus text format with what the agent did', async () => {
    const { agent: running, port } = await start();
    await pollEds(port, 'web');
    await send(port, { method: 'PUT', path: '/edsservice/api/hosts/10.9.0.1:80' });
    const ads = connectAds(running.grpcPort ?? 0, 'sotw');
    ads.send({ type_url: EDS, resource_names: ['web'] });
    await ads.next();
    const reply = await get(port, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const sample of [
      'eds_agent_containers{state="served",reason=""} 1',
      'eds_agent_containers{state="invalid",reason=""} 1',
      'eds_agent_endpoints{source="docker"} 1',
      'eds_agent_endpoints{source="api"} 1',
      'eds_agent_docker_connected{engine="docker"} 1',
      'eds_agent_docker_synced{engine="docker"} 1',
      'eds_agent_docker_withdrawn{engine="docker"} 0',
      'eds_agent_docker_api_requests_total{engine="docker",call="list"} 1',
      'eds_agent_rest_polls_total{api="v3",status="200"} 1',
      'eds_agent_registration_requests_total{method="PUT",status="2xx"} 1',
      'eds_agent_grpc_streams{service="ads",protocol="sotw"} 1',
      'eds_agent_grpc_responses_total{type="ClusterLoadAssignment"} 1',
    ])
      expect(reply.text).toContain(sample);
    // Bounded labels: no container id, address or cluster name.
    expect(reply.text).not.toMatch(/111111111111|10\.0\.0\.1|cluster="web"/);
  });
});

describe('GET /', () => {
  it('serves one self-contained page that needs nothing but this agent', async () => {
    const { port } = await start();
    const page = await get(port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<title>eds-agent</title>');
    expect(page.text).not.toMatch(/https?:\/\/|<script[^>]+src=|<link[^>]+href="(?!data:)/);
    expect(page.text).toContain("fetch('status'");
    // Its script at least parses (the browser test runs it).
    const script = page.text.slice(
      page.text.indexOf('<script>') + 8,
      page.text.indexOf('</script>'),
    );
    expect(() => new Script(script)).not.toThrow();
  });

  it('forbids other sites to frame the page, to run anything but its own script, or to sniff types', async () => {
    const { port } = await start();
    const page = await get(port, '/');
    const csp = page.headers['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    // The page's own script is allowed by its hash, and nothing else is: no 'unsafe-inline'.
    const script = page.text.slice(
      page.text.indexOf('<script>') + 8,
      page.text.indexOf('</script>'),
    );
    expect(csp).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(csp).not.toContain('unsafe');
    for (const path of ['/', '/status', '/healthz', '/no-such-path']) {
      const reply = await get(port, path);
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['x-frame-options']).toBe('DENY');
    }
  });
});

// The attack: a web page whose name the attacker rebinds to 127.0.0.1 reads and writes the
// agent from the victim's browser, as the same origin.
describe('DNS rebinding', () => {
  it('refuses a request whose Host or Origin names another site, and serves the names it is reached by', async () => {
    const { port } = await start(['--allowed-hosts', 'eds.example.com']);
    const rebound = await get(port, '/status', undefined, { host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.text).toContain('--allowed-hosts');
    const write = await send(port, {
      method: 'PUT',
      path: '/edsservice/web2/hosts/10.0.0.9:80',
      headers: { host: `attacker.example:${port}`, 'content-type': 'application/json' },
    });
    expect(write.status).toBe(403);
    expect(
      (await get(port, '/status', undefined, { origin: 'http://attacker.example' })).status,
    ).toBe(403);
    const poll = await send(port, {
      method: 'POST',
      path: '/v3/discovery:endpoints',
      headers: { host: 'attacker.example' },
      body: JSON.stringify({ node: ENVOY_NODE, resource_names: ['web'] }),
    });
    expect(poll.status).toBe(403);
    for (const host of [
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      'localhost',
      'status.localhost:8080',
      'eds-agent:8080',
      'eds_cluster',
      'EDS.example.com',
    ]) {
      expect((await get(port, '/status', undefined, { host })).status, host).toBe(200);
    }
    expect(
      (await get(port, '/status', undefined, { origin: `http://127.0.0.1:${port}` })).status,
    ).toBe(200);
    // One warning per Host or Origin refused (three here), not one per request.
    expect(
      agent?.logs.filter(
        (line) => line.msg === 'request refused: unknown Host' && line.level === 40,
      ),
    ).toHaveLength(3);
  });
});

describe('--protect-status', () => {
  it('asks /status and /metrics for the admin token, never reveals it, and leaves the page and the probes open', async () => {
    const { port } = await start(['--admin-token', TOKEN, '--protect-status']);
    for (const path of ['/status', '/metrics']) {
      expect((await get(port, path)).status).toBe(401);
      expect((await get(port, path, 'wrong')).status).toBe(401);
      const allowed = await get(port, path, TOKEN);
      expect(allowed.status).toBe(200);
      expect(allowed.text).not.toContain(TOKEN);
    }
    for (const path of ['/', '/healthz', '/readyz'])
      expect((await get(port, path)).status).toBe(200);
  });

  it('asks every read that shows the topology for the token, and leaves Envoy its own cluster', async () => {
    const { port } = await start(['--admin-token', TOKEN, '--protect-status']);
    for (const path of ['/edsservice', '/edsservice/web', '/v1/registration/web']) {
      expect((await get(port, path)).status, path).toBe(401);
      expect((await get(port, path, TOKEN)).status, path).not.toBe(401);
    }
    const everything = (headers: Record<string, string> = {}) =>
      send(port, {
        method: 'POST',
        path: '/v3/discovery:endpoints',
        headers,
        body: JSON.stringify({ node: ENVOY_NODE, resource_names: [] }),
      });
    expect((await everything()).status).toBe(401);
    expect((await everything({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await pollEds(port, 'web')).status).toBe(200);
  });

  it('is off by default: the admin token guards registrations only', async () => {
    const { port } = await start(['--admin-token', TOKEN]);
    expect((await get(port, '/status')).status).toBe(200);
    expect((await get(port, '/metrics')).status).toBe(200);
  });
});
