import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { toTestBootstrap } from '../support/envoy-bootstrap.js';
import { send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { FakeDockerEngine } from '../support/fake-docker-engine.js';
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

// The HTTP API over mutual TLS (--http-tls-cert, --http-tls-key, --http-client-ca): the admin
// token no longer crosses a network in clear, a client without a certificate the CA signed is
// refused in the handshake, and a real Envoy polls REST EDS with its own client certificate
// (the host-mode example with TLS on its management cluster). The agent's certificate is
// rotated on disk under load: new connections get the new one, no request through Envoy fails.
const MISSING_TOOLS = lacks('envoy', 'openssl');
const TOKEN = 'http-tls-test-token';
describe.skipIf(MISSING_TOOLS)('the HTTP API over mutual TLS, with a real Envoy', () => {
  const envoys = useEnvoys();
  const dir = mkdtempSync(join(tmpdir(), 'eds-agent-http-tls-'));
  let pki: TestPki;
  let stranger: TestPki;
  let served: ServedPki['served'];
  let agent: TestAgent;
  let upstreams: Server[] = [];
  const service = `tls-web-${process.pid}`;

  /** A request over HTTPS with Envoy's client certificate. */
  const sendMutual = (options: Parameters<typeof send>[1]) =>
    send(agent.port, { ...options, tls: pki.client });

  beforeAll(async () => {
    ({ pki, stranger, served } = makeServedPki(dir));
    agent = await startTestAgent(
      [
        ...['--http-tls-cert', served.cert, '--http-tls-key', served.key],
        ...['--http-client-ca', pki.server.ca, '--admin-token', TOKEN],
        ...['--registration-allow-cidr', '127.0.0.0/8'],
      ],
      { dockerClient: new FakeDockerEngine() },
    );
    upstreams = await Promise.all(['one', 'two'].map(startNamedServer));
  }, 60_000);
  afterAll(async () => {
    await agent.stop();
    for (const server of upstreams) server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a registration over HTTPS with the token, and refuses plaintext and strangers in the handshake', async () => {
    const reply = await sendMutual({
      method: 'POST',
      path: `/edsservice/${service}`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({
        hosts: upstreams.map((server) => ({
          ip_address: '127.0.0.1',
          port: (server.address() as AddressInfo).port,
        })),
      }),
    });
    expect(reply.status).toBe(201);

    // Plain HTTP gets no answer; a client with no certificate, or one a stranger CA signed,
    // is refused before any request is read.
    await expect(send(agent.port, { method: 'GET', path: '/healthz' })).rejects.toThrow();
    await expect(
      send(agent.port, { method: 'GET', path: '/healthz', tls: { ca: pki.server.ca } }),
    ).rejects.toThrow();
    await expect(
      send(agent.port, {
        method: 'GET',
        path: '/healthz',
        tls: { ca: pki.server.ca, cert: stranger.client.cert, key: stranger.client.key },
      }),
    ).rejects.toThrow();
    expect((await sendMutual({ method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('is polled by Envoy over mutual TLS, and a certificate rotated on disk fails no request', async () => {
    const envoy = await envoys.start(
      withTlsToAgent(toTestBootstrap({ agentPort: agent.port, serviceName: service }), pki),
    );
    await eventually(
      'Envoy holds both upstreams',
      () => envoy.hosts('web'),
      (hosts) => hosts.filter((host) => host.edsHealth === 'HEALTHY').length === 2,
    );
    const load = startTestLoad(envoy.url, { concurrency: 2 });
    await sentMore(load, 100);
    const fingerprint = async () =>
      (await sendMutual({ method: 'GET', path: '/healthz' })).peerFingerprint;
    const before = await fingerprint();

    const next = makeTestPki(dir, 'next');
    signWithCa(dir, pki, next.server);
    renameOver(next.server.cert, served.cert);
    await sentMore(load, 50);
    renameOver(next.server.key, served.key);
    await eventually(
      'new connections get the new certificate',
      fingerprint,
      (now) => now !== before,
      {
        timeoutMs: 10_000,
      },
    );
    // Envoy's next polls (new requests on its pool) go on being answered.
    const polls = () => envoy.stat('cluster.eds_cluster.upstream_rq_total');
    const failedUpdates = () => envoy.stat('cluster.web.update_failure');
    const [pollsBefore, failedBefore] = [await polls(), await failedUpdates()];
    await eventually('Envoy polls again', polls, (now) => now > pollsBefore + 2, {
      timeoutMs: 10_000,
    });
    expect(await failedUpdates()).toBe(failedBefore);
    await sentMore(load, 100);
    expect((await load.stop()).failures).toEqual([]);
    expect(agent.logs.filter((line) => line.msg.startsWith('HTTP TLS files changed'))).toHaveLength(
      1,
    );
  });
});

/** `bootstrap` with its management cluster (`eds_cluster`) speaking mutual TLS to the agent. */
function withTlsToAgent(bootstrap: unknown, pki: TestPki): unknown {
  const config = bootstrap as {
    static_resources: { clusters: { name: string; transport_socket?: unknown }[] };
  };
  const management = config.static_resources.clusters.find(
    (cluster) => cluster.name === 'eds_cluster',
  );
  if (management === undefined) throw new Error('the example has no eds_cluster');
  management.transport_socket = {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      common_tls_context: {
        tls_certificates: [
          {
            certificate_chain: { filename: pki.client.cert },
            private_key: { filename: pki.client.key },
          },
        ],
        validation_context: { trusted_ca: { filename: pki.client.ca } },
      },
    },
  };
  return config;
}

describe.skipIf(lacks('openssl'))('the HTTP server over TLS', () => {
  it('does not start on TLS files it cannot use, and says which', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eds-agent-http-tls-bad-'));
    const pki = makeTestPki(dir, 'a');
    const other = makeTestPki(dir, 'b');
    const start = (cert: string, key: string) =>
      startTestAgent(['--http-tls-cert', cert, '--http-tls-key', key], {
        dockerClient: new FakeDockerEngine(),
      });
    await expect(start(join(dir, 'none.pem'), pki.server.key)).rejects.toThrow(
      /--http-tls-cert: cannot read .*none\.pem/,
    );
    await expect(start(pki.server.cert, other.server.key)).rejects.toThrow(
      /are not a certificate and its key/,
    );
    rmSync(dir, { recursive: true, force: true });
  });
});
