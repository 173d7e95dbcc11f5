import { join } from 'node:path';

import type { Container } from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';

import { serveTurnableProbe } from '../support/docker-harness.js';
import type { EnvoyUnderTest } from '../support/envoy-process.js';
import { eventually } from '../support/eventually.js';
import { freeLoopbackPort } from '../support/free-port.js';
import { GREETER_IMAGE } from '../support/greeter-example.js';
import { answeredBy, sendRequests } from '../support/http-load.js';
import { REPO_ROOT } from '../support/repo-files.js';
import { provideStandIns, removeStandIns } from '../support/stand-in-images.js';
import { pingTcpEcho } from '../support/tcp-echo-client.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoyStage } from '../support/use-envoy-stage.js';
import { echoOverWebSocket } from '../support/websocket-echo.js';

// A service's traffic policy set by labels alone, through a real Envoy that takes its clusters
// (CDS) and routes (RDS) from the agent: Envoy's own health checks, outlier detection, a
// circuit breaker, a route timeout, and the routes a service keeps when its last container
// goes. Each container answers as it is told from inside (`docker exec`), see
// `serveTurnableProbe`; every request goes through Envoy's listener on 127.0.0.1.

const MISSING_TOOLS = lacks('docker', 'busybox', 'envoy');
describe.skipIf(MISSING_TOOLS)('a traffic policy from labels, through Envoy', () => {
  // One service claims a wildcard domain, which the agent serves only where allowed.
  const stage = useEnvoyStage(['--allowed-domains', '*.test']);
  const { docker, serviceFor, upstream } = stage;
  afterAll(() => removeStandIns([GREETER_IMAGE]));
  const idOf = (container: Container) => container.id.slice(0, 12);
  const startEnvoy = stage.envoyRoutedByAgent;

  const ask = (envoy: EnvoyUnderTest, service: string, path: string, count: number) =>
    sendRequests(`${envoy.url}${path.slice(1)}`, count, { host: `${service}.localhost` });
  const probes = (service: string, count: number, labels: Record<string, string>) =>
    Promise.all(
      Array.from({ length: count }, () => upstream(service, labels, { cmd: serveTurnableProbe() })),
    );
  const inside = (container: Container, command: string) =>
    docker.exec(container, ['sh', '-c', command]);
  const untilAnsweredByAll = (envoy: EnvoyUnderTest, service: string, containers: Container[]) =>
    eventually(
      `Envoy routes to all ${containers.length} containers`,
      async () => answeredBy(await ask(envoy, service, '/', containers.length * 3)),
      (by) => by.join() === containers.map(idOf).sort().join(),
      { timeoutMs: 20_000 },
    );

  it("takes an endpoint out when Envoy's own health check fails it, and back when it passes", async () => {
    const envoy = await startEnvoy();
    const service = serviceFor('checked');
    const containers = await probes(service, 3, {
      'eds.health_check.path': '/health',
      'eds.health_check.interval': '200ms',
      'eds.health_check.timeout': '500ms',
    });
    await untilAnsweredByAll(envoy, service, containers);
    const [sick] = containers;
    if (!sick) throw new Error('three containers');
    await inside(sick, 'rm /www/health');
    await eventually(
      'Envoy fails its active health check',
      async () => (await envoy.hosts(service)).filter((host) => host.failedActiveHealthCheck),
      (failed) => failed.length === 1,
    );
    const meanwhile = await ask(envoy, service, '/', 30);
    expect(meanwhile.failures).toEqual([]);
    expect(answeredBy(meanwhile)).not.toContain(idOf(sick));

    await inside(sick, 'echo ok > /www/health');
    await untilAnsweredByAll(envoy, service, containers);
  });

  it('ejects an endpoint that answers 503 after consecutive_5xx of them, and no later request fails', async () => {
    const envoy = await startEnvoy();
    const service = serviceFor('ejected');
    const containers = await probes(service, 3, {
      'eds.outlier.consecutive_5xx': '3',
      'eds.outlier.base_ejection_time': '30s',
      'eds.outlier.max_ejection_percent': '100',
    });
    await untilAnsweredByAll(envoy, service, containers);
    const [failing] = containers;
    if (!failing) throw new Error('three containers');
    await inside(failing, 'touch /tmp/fail');
    const report = await ask(envoy, service, '/cgi-bin/status', 60);
    process.stdout.write(
      `outlier detection: ${report.failures.length} of ${report.sent} requests failed before the ejection\n`,
    );
    expect(report.failures.length).toBeGreaterThan(0);
    expect(report.failures.length).toBeLessThanOrEqual(3);
    expect(report.failures.every((failure) => failure.startsWith('503'))).toBe(true);
    const hosts = await envoy.hosts(service);
    expect(hosts.filter((host) => host.ejected)).toHaveLength(1);
    expect(answeredBy(await ask(envoy, service, '/cgi-bin/status', 20))).not.toContain(
      idOf(failing),
    );
  });

  it('answers at once with 503 what is over max_requests, and lets the rest through', async () => {
    const envoy = await startEnvoy();
    const service = serviceFor('limited');
    const containers = await probes(service, 1, { 'eds.max_requests': '2' });
    await untilAnsweredByAll(envoy, service, containers);
    const before = await envoy.stat(`cluster.${service}.upstream_rq_active_overflow`);

    const timed = async () => {
      const started = performance.now();
      const report = await ask(envoy, service, '/cgi-bin/slow', 1);
      return { failure: report.failures[0], ms: performance.now() - started };
    };
    const outcomes = await Promise.all(Array.from({ length: 10 }, timed));

    const refused = outcomes.filter((outcome) => outcome.failure !== undefined);
    const served = outcomes.filter((outcome) => outcome.failure === undefined);
    expect(served.length).toBe(2);
    expect(refused.length).toBe(8);
    for (const outcome of refused) {
      expect(outcome.failure).toMatch(/^503/);
      expect(outcome.ms).toBeLessThan(800); // not after the slow answer
    }
    expect(await envoy.stat(`cluster.${service}.upstream_rq_active_overflow`)).toBe(before + 8);
  });

  it('answers 504 at the route timeout when the endpoint is slower', async () => {
    const envoy = await startEnvoy();
    const service = serviceFor('timed');
    const containers = await probes(service, 1, { 'eds.timeout': '200ms' });
    await untilAnsweredByAll(envoy, service, containers);
    const started = performance.now();
    const report = await ask(envoy, service, '/cgi-bin/slow', 1);
    const ms = performance.now() - started;
    expect(report.failures[0]).toMatch(/^504 upstream request timeout/);
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(800);
  });

  it('keeps the routes of a service scaled to 0: 503 no healthy upstream, then 200 with no new route configuration', async () => {
    const envoy = await startEnvoy();
    const service = serviceFor('idle');
    const [first] = await probes(service, 1, {});
    if (!first) throw new Error('one container');
    await untilAnsweredByAll(envoy, service, [first]);
    const rdsVersion = () => envoy.stat('http.ingress.rds.eds-agent.version');
    const routesBefore = await rdsVersion();
    await first.remove({ force: true });
    await eventually(
      'Envoy answers 503 no healthy upstream',
      async () => (await ask(envoy, service, '/', 1)).failures[0],
      (failure) => failure === '503 no healthy upstream',
    );
    const [second] = await probes(service, 1, {});
    if (!second) throw new Error('one container');
    await untilAnsweredByAll(envoy, service, [second]);
    expect(await rdsVersion()).toBe(routesBefore);
  });

  it('rewrites the path prefix: /api/health reaches the container as /health', async () => {
    const envoy = await startEnvoy();
    const service = serviceFor('rewritten');
    const containers = await probes(service, 1, {
      'eds.path_prefix': '/api',
      'eds.prefix_rewrite': '/',
    });
    const [only] = containers;
    await eventually(
      'Envoy routes /api/ to the container',
      async () => answeredBy(await ask(envoy, service, '/api/', 1)),
      (by) => only !== undefined && by.join() === idOf(only),
    );
    expect(answeredBy(await ask(envoy, service, '/api/health', 1))).toEqual(['ok']);
    expect(answeredBy(await ask(envoy, service, '/api', 1))).toEqual([idOf(only as Container)]);
  });

  it('lets WebSocket upgrades through the route with eds.websocket=true, and only then', async () => {
    const envoy = await startEnvoy();
    await provideStandIns([GREETER_IMAGE]);
    const echo = (service: string, labels: Record<string, string>) =>
      upstream(service, labels, {
        image: GREETER_IMAGE,
        cmd: ['node', join(REPO_ROOT, 'test/fixtures/websocket-echo/server.mjs')],
        readOnlyMounts: [REPO_ROOT],
      });
    const chat = serviceFor('chat');
    const plain = serviceFor('plain');
    await Promise.all([echo(chat, { 'eds.websocket': 'true' }), echo(plain, {})]);
    const port = Number(new URL(envoy.url).port);
    await eventually(
      'Envoy routes to both services',
      async () => [
        (await ask(envoy, chat, '/', 1)).failures,
        (await ask(envoy, plain, '/', 1)).failures,
      ],
      (failures) => failures.flat().length === 0,
    );
    expect(await echoOverWebSocket(port, `${chat}.localhost`, 'hello')).toEqual({
      status: 101,
      echoed: 'hello',
    });
    expect((await echoOverWebSocket(port, `${plain}.localhost`, 'hello')).status).toBe(403);
  });

  it('proxies a TCP service on its eds.tcp_port (a listener from LDS), every new connection succeeding while scaled 2 → 1', async () => {
    // Envoy's one static listener is for HTTP; the TCP one comes from the agent.
    await stage.envoyRoutedByAgent({ listenersFromAgent: true });
    await provideStandIns([GREETER_IMAGE]);
    const service = serviceFor('tcp');
    const port = await freeLoopbackPort();
    const echo = () =>
      docker.run({
        labels: { 'eds.service': service, 'eds.port': '9000', 'eds.tcp_port': String(port) },
        image: GREETER_IMAGE,
        cmd: ['node', join(REPO_ROOT, 'test/fixtures/tcp-echo.mjs')],
        readOnlyMounts: [REPO_ROOT],
        publishLoopback: [9000],
        stopTimeout: 10,
      });
    const containers = await Promise.all([echo(), echo()]);
    const hostnames = await Promise.all(
      containers.map(async (container) => (await container.inspect()).Config.Hostname),
    );
    const answered = new Set<string>();
    await eventually(
      'connections through Envoy reach both replicas',
      async () => {
        answered.add(await pingTcpEcho(port));
        return [...answered].sort();
      },
      (seen) => seen.join() === [...hostnames].sort().join(),
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    const [kept, gone] = containers;
    const outcomes: string[] = [];
    const state = { looping: true };
    const loop = (async () => {
      while (state.looping)
        outcomes.push(
          await pingTcpEcho(port).catch((error: unknown) => `failed: ${String(error)}`),
        );
    })();
    await gone.stop();
    const stopped = outcomes.length;
    await eventually(
      '50 connections after the stop',
      () => outcomes.length,
      (n) => n >= stopped + 50,
    );
    state.looping = false;
    await loop;
    process.stdout.write(
      `TCP through Envoy, 2 → 1: ${outcomes.length} connections, ${outcomes.filter((o) => o.startsWith('failed')).length} failed\n`,
    );
    expect(outcomes.filter((outcome) => outcome.startsWith('failed'))).toEqual([]);
    expect(new Set(outcomes.slice(stopped))).toEqual(
      new Set([(await kept.inspect()).Config.Hostname]),
    );
  });

  it('has every policy label taken by Envoy: no NACK, and each setting in its config', async () => {
    const envoy = await stage.envoyRoutedByAgent({ listenersFromAgent: true });
    const everything = serviceFor('everything');
    const grpc = serviceFor('grpc-checked');
    await probes(everything, 1, {
      'eds.lb_policy': 'least_request',
      'eds.connect_timeout': '250ms',
      'eds.domains': `${everything}.test,*.${everything}.test`,
      'eds.path_prefix': '/api',
      'eds.protocol': 'http1',
      'eds.health_check.path': '/health?full=1',
      'eds.health_check.interval': '1s',
      'eds.health_check.timeout': '500ms',
      'eds.health_check.healthy_threshold': '2',
      'eds.health_check.unhealthy_threshold': '3',
      'eds.outlier.consecutive_5xx': '5',
      'eds.outlier.base_ejection_time': '10s',
      'eds.outlier.max_ejection_percent': '50',
      'eds.max_connections': '100',
      'eds.max_pending_requests': '10',
      'eds.max_requests': '100',
      'eds.max_retries': '3',
      'eds.timeout': '5s',
      'eds.idle_timeout': '1m',
      'eds.retries': '1',
      'eds.retry_on': '5xx,reset,connect-failure',
      'eds.websocket': 'true',
      'eds.prefix_rewrite': '/',
      'eds.tcp_port': String(await freeLoopbackPort()),
    });
    await probes(grpc, 1, { 'eds.protocol': 'grpc', 'eds.health_check.interval': '2s' });
    const dump = async () =>
      JSON.stringify(await (await fetch(`${envoy.adminUrl}/config_dump`)).json());
    await eventually(
      'Envoy holds both clusters, the routes and the TCP listener',
      dump,
      (text) =>
        text.includes(`"name":"${everything}"`) &&
        text.includes(`"name":"${grpc}"`) &&
        text.includes(`tcp/${everything}`) &&
        text.includes('"regex_rewrite"'),
    );
    const text = await dump();
    for (const setting of [
      '"lb_policy":"LEAST_REQUEST"',
      '"max_pending_requests":10',
      '"consecutive_5xx":5',
      '"path":"/health?full=1"',
      '"grpc_health_check"',
      '"http2_protocol_options"',
      '"upgrade_type":"websocket"',
      '"retry_on":"5xx,reset,connect-failure"',
      '"idle_timeout":"60s"',
    ])
      expect(text).toContain(setting);
    expect(stage.agent.logs.filter((line) => line.msg.includes('NACK'))).toEqual([]);
  });
});
