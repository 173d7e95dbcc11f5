import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type AgentProcess, killRunningClis, startAgentProcess } from '../support/cli.js';
import { DockerHarness } from '../support/docker-harness.js';
import { send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { freeLoopbackPort } from '../support/free-port.js';
import {
  type Greeter,
  type GreeterClient,
  killGreeters,
  startGreeter,
  startGreeterClient,
} from '../support/greeter-example.js';
import { buildGrpcGoClient } from '../support/grpc-go-client.js';
import { lacks } from '../support/test-tools.js';

// Two agents with the same registrations serve the same resources at the same versions; a
// proxyless gRPC client that loses the agent it streams from keeps calling with what it has,
// and how it finds the other agent depends on its bootstrap and its gRPC:
// - one server_uri naming both agents (`ipv4:` with two addresses for grpc-js, as here; a DNS
//   name resolving to both): the client's xDS channel reconnects to the other address, and
//   follows changes through it;
// - two `xds_servers` (gRFC A71 fallback, grpc-go): the second is used while the first cannot be
//   reached and the client still waits for a resource; once it has them all, it keeps them
//   and waits for the first.
// The greeters are processes on 127.0.0.1, registered on both agents over REST.

describe.skipIf(lacks('docker', 'busybox'))('a proxyless gRPC client of two agents', () => {
  const docker = new DockerHarness();
  const service = `greeter-ha-${docker.runId}`;
  const agents: AgentProcess[] = [];
  const clients: GreeterClient[] = [];
  let greeters: Greeter[] = [];

  /** Makes `serving` the whole service on every agent still running (creating it where new). */
  const registerOnAll = async (serving: readonly Greeter[]) => {
    const body = JSON.stringify({
      hosts: serving.map((greeter) => ({ ip_address: '127.0.0.1', port: greeter.port })),
    });
    const headers = { 'content-type': 'application/json' };
    const running = agents.filter((agent) => agent.cli.exitCode === null && !agent.cli.killed);
    for (const agent of running) {
      const path = `/edsservice/${service}`;
      const replaced = await send(agent.port, { method: 'PUT', path, headers, body });
      const reply =
        replaced.status === 404
          ? await send(agent.port, { method: 'POST', path, headers, body })
          : replaced;
      expect(reply.status).toBeLessThan(300);
    }
  };
  const startAgent = async () => {
    const agent = await startAgentProcess([
      ...['--docker-host', `unix://${docker.socketPath}`],
      ...['--registration-allow-cidr', '127.0.0.0/8'],
    ]);
    agents.push(agent);
    return agent;
  };
  const streamsOf = async (agent: AgentProcess) => {
    const reply = await send(agent.port, { method: 'GET', path: '/status' });
    const status = JSON.parse(reply.text) as { clients: { grpc: { node: string }[] } };
    return status.clients.grpc.length;
  };
  /** Who answered the calls sent after `since`, and what failed since the client started. */
  const seen = (client: GreeterClient, since: number) => ({
    replicas: [
      ...new Set(
        client.calls().flatMap((call) => (call.sentAt > since ? (call.replica ?? []) : [])),
      ),
    ].sort(),
    calls: client.calls().filter((call) => call.sentAt > since).length,
    failures: client.calls().flatMap((call) => call.failure ?? []),
  });
  const untilReplicas = (client: GreeterClient, since: number, replicas: string[]) =>
    eventually(
      `calls reach ${replicas.join(', ')} and no other`,
      () => seen(client, since),
      (now) => now.replicas.join() === replicas.join() && now.calls >= 30,
      { timeoutMs: 30_000 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nclient said: ${client.otherOutput()}`);
    });

  beforeAll(async () => {
    greeters = await Promise.all(['r1', 'r2', 'r3'].map(startGreeter));
  });
  afterAll(() => {
    for (const client of clients) client.stop();
    killGreeters();
    killRunningClis();
  });

  it('grpc-js, one server_uri naming both: the agent it streams from is killed, it calls on and follows a change through the other', async () => {
    const [a, b] = [await startAgent(), await startAgent()];
    await registerOnAll(greeters);
    const client = startGreeterClient({
      servers: [`ipv4:127.0.0.1:${a.grpcPort},127.0.0.1:${b.grpcPort}`],
      service,
      nodeId: `grpc-js-${docker.runId}`,
      intervalMs: 10,
    });
    clients.push(client);
    await untilReplicas(client, 0, ['r1', 'r2', 'r3']);
    const [victim, survivor] = (await streamsOf(a)) > 0 ? [a, b] : [b, a];

    victim.cli.kill('SIGKILL');
    await eventually(
      'the client streams from the other agent',
      () => streamsOf(survivor),
      (count) => count > 0,
      { timeoutMs: 30_000 },
    );
    const [r1, ...rest] = greeters;
    await registerOnAll(rest);
    const changed = Date.now();
    await untilReplicas(client, changed + 1000, ['r2', 'r3']);
    r1?.kill();
    const after = Date.now();
    await untilReplicas(client, after, ['r2', 'r3']);
    expect(seen(client, 0).failures).toEqual([]);
    client.stop();
    survivor.cli.kill('SIGKILL');
  }, 120_000);

  it.skipIf(lacks('go'))(
    'grpc-go, two xds_servers: the first unreachable at start, it takes the second; the first killed later, it calls on with what it has',
    async () => {
      const binary = await buildGrpcGoClient();
      const [, r2, r3] = greeters;
      if (!r2 || !r3) throw new Error('three greeters');
      // Nothing listens on the first server's port at start.
      const nowhere = await freeLoopbackPort();
      const b = await startAgent();
      await registerOnAll([r2, r3]);
      const fellBack = startGreeterClient({
        servers: [nowhere, b.grpcPort],
        service,
        nodeId: `grpc-go-fallback-${docker.runId}`,
        intervalMs: 10,
        goBinary: binary,
      });
      clients.push(fellBack);
      await untilReplicas(fellBack, 0, ['r2', 'r3']);
      expect(seen(fellBack, 0).failures).toEqual([]);
      fellBack.stop();

      const a = await startAgent();
      await registerOnAll([r2, r3]);
      const client = startGreeterClient({
        servers: [a.grpcPort, b.grpcPort],
        service,
        nodeId: `grpc-go-${docker.runId}`,
        intervalMs: 10,
        goBinary: binary,
      });
      clients.push(client);
      await untilReplicas(client, 0, ['r2', 'r3']);
      expect(await streamsOf(a)).toBeGreaterThan(0);
      a.cli.kill('SIGKILL');
      const killed = Date.now();
      await untilReplicas(client, killed, ['r2', 'r3']);
      await eventually(
        '300 calls after the kill',
        () => seen(client, killed).calls,
        (calls) => calls >= 300,
      );
      expect(seen(client, 0).failures).toEqual([]);
    },
    300_000,
  );
});
