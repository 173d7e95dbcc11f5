import type { Container } from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/eventually.js';
import {
  GREETER_IMAGE,
  type GreeterClient,
  replicasSince,
  runGreeterContainer,
  startGreeterClient,
} from '../support/greeter-example.js';
import { provideStandIns, removeStandIns } from '../support/stand-in-images.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoyStage } from '../support/use-envoy-stage.js';

// A gRPC service behind Envoy: the greeter of examples/proxyless-grpc in containers labelled
// `eds.protocol=grpc`, so the agent gives its cluster HTTP/2 (gRPC does not work over the
// HTTP/1.1 Envoy speaks to an upstream by default). The example's client, on the host, dials
// Envoy's listener on 127.0.0.1 with the service's domain as its authority; the agent's routes
// send it to the cluster. The containers run this machine's node (the offline stand-in of the
// Dockerfile's base image) on the repository, mounted read-only.

const MISSING_TOOLS = lacks('docker', 'busybox', 'envoy');
describe.skipIf(MISSING_TOOLS)('a gRPC service behind Envoy (eds.protocol=grpc)', () => {
  const stage = useEnvoyStage();
  const clients: GreeterClient[] = [];
  beforeAll(() => provideStandIns([GREETER_IMAGE]), 300_000);
  afterAll(async () => {
    for (const client of clients) client.stop();
    await removeStandIns([GREETER_IMAGE]);
  });

  const greeter = (service: string) =>
    runGreeterContainer(stage.docker, service, { 'eds.protocol': 'grpc' });

  it('answers every call through Envoy, spread over the replicas, and fails none while scaled 3 → 1', async () => {
    const envoy = await stage.envoyRoutedByAgent();
    const service = stage.serviceFor('greeter');
    const containers = await Promise.all([greeter(service), greeter(service), greeter(service)]);
    const hostnames = await Promise.all(
      containers.map(async (container: Container) => (await container.inspect()).Config.Hostname),
    );
    // The greeters are served once healthy (their HEALTHCHECK says when the server listens),
    // so every call the client makes counts, from the first.
    await eventually(
      'Envoy holds the three greeters, healthy',
      async () => (await envoy.hosts(service)).filter((host) => host.edsHealth === 'HEALTHY'),
      (hosts) => hosts.length === 3,
      { timeoutMs: 30_000 },
    );
    const client = startGreeterClient({
      servers: [],
      target: {
        address: envoy.url.replace(/^http:\/\/|\/$/g, ''),
        authority: `${service}.localhost`,
      },
      service,
      nodeId: 'unused',
      intervalMs: 10,
    });
    clients.push(client);
    await eventually(
      'calls reach all three replicas',
      () => replicasSince(client, 0),
      (seen) => seen.join() === [...hostnames].sort().join(),
      { timeoutMs: 30_000 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nclient said: ${client.otherOutput()}`);
    });

    const [kept, ...scaledAway] = containers;
    await Promise.all(scaledAway.map((container) => container.stop()));
    const scaled = Date.now();
    await eventually(
      'calls reach the one replica left, 100 of them',
      () => ({
        replicas: replicasSince(client, scaled),
        calls: client.calls().filter((call) => call.sentAt > scaled).length,
      }),
      ({ replicas, calls }) => calls >= 100 && replicas.length === 1,
    );
    expect(replicasSince(client, scaled)).toEqual([(await kept.inspect()).Config.Hostname]);
    const calls = client.calls();
    process.stdout.write(
      `gRPC through Envoy, 3 → 1: ${calls.length} calls, ${calls.filter((call) => call.failure).length} failed\n`,
    );
    expect(calls.flatMap((call) => call.failure ?? [])).toEqual([]);
  }, 120_000);
});
