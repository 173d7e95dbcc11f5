import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { toAdsBootstrap } from '../support/ads-bootstrap.js';
import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { FakeDockerEngine } from '../support/fake-docker-engine.js';
import { startGreeter, startGreeterClient } from '../support/greeter-example.js';
import { buildGrpcGoClient } from '../support/grpc-go-client.js';
import { sentMore } from '../support/http-load.js';
import { startNamedServer } from '../support/named-server.js';
import { startTestLoad } from '../support/start-test-load.js';
import {
  makeServedPki,
  makeTestPki,
  renameOver,
  type ServedPki,
  signWithCa,
  type TestPki,
} from '../support/test-certificates.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoys } from '../support/use-envoys.js';
import { closeAll, connectAds, EDS } from '../support/xds-test-client.js';

// The control channel, authenticated and encrypted: the agent serves xDS over mutual TLS
// (--grpc-tls-cert, --grpc-tls-key, --grpc-client-ca), a real Envoy fetches ADS with its own
// client certificate, a client without one signed by the CA is refused in the handshake, and
// the agent's certificate is rotated on disk under load: new connections get the new one, the
// stream Envoy holds goes on, and no request fails. Upstreams are HTTP servers on 127.0.0.1
// registered through the API, so no Docker is needed.
const MISSING_TOOLS = lacks('envoy', 'openssl');
describe.skipIf(MISSING_TOOLS)('xDS over mutual TLS, with a real Envoy', () => {
  const envoys = useEnvoys();
  const dir = mkdtempSync(join(tmpdir(), 'eds-agent-xds-tls-'));
  let pki: TestPki;
  let stranger: TestPki;
  let served: ServedPki['served'];
  let agent: TestAgent;
  let upstreams: Server[] = [];

  beforeAll(async () => {
    ({ pki, stranger, served } = makeServedPki(dir));
    agent = await startTestAgent(
      [
        ...['--grpc-tls-cert', served.cert, '--grpc-tls-key', served.key],
        ...['--grpc-client-ca', pki.server.ca],
        ...['--registration-allow-cidr', '127.0.0.0/8'],
      ],
      { dockerClient: new FakeDockerEngine() },
    );
    upstreams = await Promise.all(['one', 'two'].map(startNamedServer));
    const reply = await send(agent.port, {
      method: 'POST',
      path: '/edsservice/web',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        hosts: upstreams.map((server) => ({
          ip_address: '127.0.0.1',
          port: (server.address() as AddressInfo).port,
        })),
      }),
    });
    expect(reply.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await closeAll();
    await agent.stop();
    for (const server of upstreams) server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const grpcPort = () => agent.agent.grpcPort ?? 0;

  /** An Envoy on ADS over mutual TLS with its client certificate, once it holds both upstreams. */
  const startMutualEnvoy = async () => {
    const envoy = await envoys.start(
      toAdsBootstrap(grpcPort(), 'GRPC', undefined, { tls: pki.client }),
    );
    await eventually(
      'Envoy holds both upstreams',
      () => envoy.hosts('web'),
      (hosts) => hosts.filter((host) => host.edsHealth === 'HEALTHY').length === 2,
    );
    return envoy;
  };

  /** The SHA-256 fingerprint of the certificate a new TLS connection to the xDS port gets. */
  const servedFingerprint = () =>
    new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: grpcPort(),
        ca: readFileSync(pki.server.ca),
        cert: readFileSync(pki.client.cert),
        key: readFileSync(pki.client.key),
        ALPNProtocols: ['h2'],
      });
      socket.once('secureConnect', () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.destroy();
      });
      socket.once('error', reject);
    });

  it('serves Envoy its clusters over mutual TLS, and routes its traffic', async () => {
    const envoy = await startMutualEnvoy();
    const load = startTestLoad(envoy.url, { concurrency: 2, headers: { 'x-service': 'web' } });
    await sentMore(load, 100);
    expect((await load.stop()).failures).toEqual([]);
  });

  it.skipIf(lacks('go'))(
    "serves a proxyless grpc-go client over mutual TLS (its bootstrap's `tls` channel credentials)",
    async () => {
      const greeter = await startGreeter('tls');
      const registered = await send(agent.port, {
        method: 'PUT',
        path: `/edsservice/greeter-tls/hosts/127.0.0.1:${greeter.port}`,
        headers: { 'content-type': 'application/json' },
      });
      expect(registered.status).toBe(201);
      const client = startGreeterClient({
        servers: [grpcPort()],
        service: 'greeter-tls',
        nodeId: 'grpc-go-over-tls',
        intervalMs: 50,
        goBinary: await buildGrpcGoClient(),
        tls: pki.client,
      });
      try {
        await eventually(
          'twenty calls answered by the greeter',
          () => client.calls(),
          (calls) => calls.filter((call) => call.replica === 'tls').length >= 20,
          { timeoutMs: 60_000 },
        ).catch((error: unknown) => {
          throw new Error(`${String(error)}\n${client.otherOutput()}`);
        });
      } finally {
        client.stop();
        greeter.kill();
      }
    },
    300_000,
  );

  it('refuses a client whose certificate the CA did not sign, and one with none', async () => {
    for (const credentials of [
      grpc.credentials.createSsl(
        readFileSync(pki.server.ca),
        readFileSync(stranger.client.key),
        readFileSync(stranger.client.cert),
      ),
      grpc.credentials.createSsl(readFileSync(pki.server.ca)),
      grpc.credentials.createInsecure(),
    ]) {
      const stream = connectAds(grpcPort(), 'sotw', { credentials, ownConnection: true });
      stream.send({ node: { id: 'intruder' }, type_url: EDS, resource_names: ['web'] });
      await eventually(
        'the call ends unanswered',
        () => stream.status(),
        (status) => status !== undefined,
      );
      expect(stream.status()?.code).toBe(grpc.status.UNAVAILABLE);
    }
    expect(agent.agent.grpcPort).toBeDefined();
  });

  it('serves a certificate rotated on disk to new connections, under load, with no failed request and no reconnect', async () => {
    const envoy = await startMutualEnvoy();
    const connections = () => envoy.stat('cluster.eds_agent_xds.upstream_cx_total');
    const connectionsBefore = await connections();
    const before = await servedFingerprint();
    const load = startTestLoad(envoy.url, { concurrency: 2, headers: { 'x-service': 'web' } });
    await sentMore(load, 100);

    // A new certificate from the same CA, written as a rotation writes it: the certificate
    // first, the key a moment later (the agent keeps the old pair until both match).
    const next = makeTestPki(dir, 'next');
    signWithCa(dir, pki, next.server);
    renameOver(next.server.cert, served.cert);
    await sentMore(load, 50);
    renameOver(next.server.key, served.key);
    await eventually(
      'new connections get the new certificate',
      () => servedFingerprint(),
      (fingerprint) => fingerprint !== before,
      { timeoutMs: 10_000 },
    );
    // Registrations still reach Envoy over the stream it held all along.
    await sentMore(load, 100);
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect(await connections()).toBe(connectionsBefore);
    expect(agent.logs.filter((line) => line.msg.startsWith('gRPC TLS files changed'))).toHaveLength(
      1,
    );
  });
});
