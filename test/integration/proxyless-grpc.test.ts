import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL as ENDPOINTS_TYPE_URL } from '../../src/core/type-urls.js';
import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import {
  type Greeter,
  type GreeterClient,
  killGreeters,
  startGreeter,
  startGreeterClient,
} from '../support/greeter-example.js';
import { lacks } from '../support/test-tools.js';

// A gRPC application with no Envoy at all: the example's client dials xds:///<service>, and
// gRPC's own xDS client (@grpc/grpc-js-xds) asks the agent over ADS for the listener, route
// configuration, cluster and endpoints. The replicas are the example's server, run as
// processes on 127.0.0.1 and registered through /edsservice, so all traffic stays on loopback.

const runId = Date.now().toString(36);
const service = `greeter-${runId}`;
const nodeId = `greeter-client-${runId}`;
let agent: TestAgent;
const clients: GreeterClient[] = [];

beforeAll(async () => {
  // The greeters run on this machine: their loopback addresses must be allowed.
  agent = await startTestAgent(['--registration-allow-cidr', '127.0.0.0/8']);
});
afterAll(async () => {
  for (const client of clients) client.stop();
  killGreeters();
  await agent.stop();
});

const register = async (greeter: Greeter) => {
  const reply = await send(agent.port, {
    method: 'PUT',
    path: `/edsservice/${service}/hosts/127.0.0.1:${greeter.port}`,
  });
  expect(reply.status).toBeLessThan(300);
};
/** The replicas that answered calls sent after `since`, and the calls that failed. */
const seenSince = (client: GreeterClient, since: number) => {
  const calls = client.calls().filter((call) => call.sentAt > since);
  return {
    calls: calls.length,
    replicas: [...new Set(calls.flatMap((call) => call.replica ?? []))].sort(),
    failures: calls.flatMap((call) => call.failure ?? []),
  };
};

const MISSING_TOOLS = lacks('docker');
describe.skipIf(MISSING_TOOLS)(
  'a proxyless gRPC client fed by the agent (xds:///<service>, no Envoy)',
  () => {
    it('spreads its calls over every replica, follows a scale-up, and fails no call sent after a scale-down reached it', async () => {
      const replicas = await Promise.all(['r1', 'r2', 'r3'].map(startGreeter));
      for (const replica of replicas) await register(replica);
      const client = startGreeterClient({ servers: [grpcPort()], service, nodeId, intervalMs: 10 });
      clients.push(client);
      await eventually(
        'calls reach all three replicas',
        () => seenSince(client, 0).replicas,
        (seen) => seen.join() === 'r1,r2,r3',
        { timeoutMs: 20_000 },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\nclient said: ${client.otherOutput()}`);
      });

      const r4 = await startGreeter('r4');
      const scaledUp = Date.now();
      await register(r4);
      await eventually(
        'calls reach the new replica too',
        () => seenSince(client, scaledUp).replicas,
        (seen) => seen.includes('r4'),
      );

      // Scale down to r3 and r4, in one change; once the client has acknowledged it, r1 and r2 go.
      const changed = Date.now();
      const [r1, r2, r3] = replicas;
      const reply = await send(agent.port, {
        method: 'PUT',
        path: `/edsservice/${service}`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          hosts: [r3, r4].map((r) => ({ ip_address: '127.0.0.1', port: r?.port })),
        }),
      });
      expect(reply.status).toBe(200);
      const acknowledged = await eventually(
        'the client acknowledges the endpoints without r1 and r2',
        () =>
          agent.logs.find(
            (line) =>
              line.msg.includes('(ACK)') &&
              line.node === nodeId &&
              line.typeUrl === ENDPOINTS_TYPE_URL &&
              Number(line.time) >= changed,
          ),
        (line) => line !== undefined,
      );
      const reachedAt = Number(acknowledged?.time);
      r1?.kill();
      r2?.kill();
      await eventually(
        '200 calls sent after the change reached the client',
        () => seenSince(client, reachedAt).calls,
        (calls) => calls >= 200,
      );
      const after = seenSince(client, reachedAt);
      expect(after.failures).toEqual([]);
      expect(after.replicas).toEqual(['r3', 'r4']);
    }, 60_000);
  },
);

function grpcPort(): number {
  const port = agent.agent.grpcPort;
  if (port === undefined) throw new Error('the agent runs without its gRPC server');
  return port;
}
