import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestAgent } from '../support/agent-harness.js';
import { type Cli, exitOf, killRunningClis, portOf, startCli } from '../support/cli.js';
import { DockerHarness } from '../support/docker-harness.js';
import { endpointsOf, pollEds } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { PrivateDaemon } from '../support/private-daemon.js';
import { makeTestPki, type TestPki } from '../support/test-certificates.js';
import { lacks } from '../support/test-tools.js';

// A real dockerd that speaks only TLS on loopback and wants a client certificate
// (`dockerd --tlsverify`), with a CA, server and client certificates this test makes.
describe.skipIf(lacks(...PrivateDaemon.NEEDS, 'openssl'))(
  'a Docker engine that requires TLS',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'eds-agent-pki-'));
    let pki: TestPki;
    /** A CA the engine does not know, with its own client certificate. */
    let stranger: TestPki;
    let daemon: PrivateDaemon;
    let docker: DockerHarness;
    let cluster: string;
    let engineUrl: string;

    beforeAll(async () => {
      pki = makeTestPki(dir, 'engine');
      stranger = makeTestPki(dir, 'stranger');
      daemon = new PrivateDaemon(pki.server);
      await daemon.create();
      engineUrl = `tcp://127.0.0.1:${daemon.tcpPort}`;
      docker = new DockerHarness(daemon.socketPath);
      await docker.buildImage();
      cluster = `tls-${docker.runId}`;
      await docker.run({ labels: { 'eds.service': cluster, 'eds.port': '8000' } });
    });
    afterAll(async () => {
      killRunningClis();
      await docker.cleanup().catch(() => undefined);
      await daemon.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    const cli = (args: string[], env: Record<string, string> = {}): Cli =>
      startCli(['--port', '0', '--bind', '127.0.0.1', ...args], env);

    it('is followed with --tlsverify and the certificates named by flags', async () => {
      const agent = await startTestAgent([
        ...['--docker-host', engineUrl, '--tlsverify', '--tlscacert', pki.client.ca],
        ...['--tlscert', pki.client.cert, '--tlskey', pki.client.key],
      ]);
      try {
        expect(await agent.endpoints(cluster)).toHaveLength(1);
      } finally {
        await agent.stop();
      }
    });

    it('warns once that --tls without --tlsverify does not check who the engine is', async () => {
      const unverified = await startTestAgent([
        ...['--docker-host', engineUrl, '--tls'],
        ...['--tlscert', pki.client.cert, '--tlskey', pki.client.key],
      ]);
      const verified = await startTestAgent([
        ...['--docker-host', engineUrl, '--tlsverify', '--tlscacert', pki.client.ca],
        ...['--tlscert', pki.client.cert, '--tlskey', pki.client.key],
      ]);
      try {
        const warnings = (agent: typeof verified) =>
          agent.logs.filter((line) => line.level === 40 && line.msg.includes('is not verified'));
        expect(warnings(unverified)).toHaveLength(1);
        expect(warnings(unverified)[0]?.msg).toContain('add --tlsverify');
        expect(warnings(verified)).toHaveLength(0);
      } finally {
        await unverified.stop();
        await verified.stop();
      }
    });

    it('is followed with DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the Docker CLI is', async () => {
      const agent = cli([], {
        DOCKER_HOST: engineUrl,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: join(dir, 'engine-client'),
      });
      const port = await portOf(agent);
      const reply = await eventually(
        'the container is served',
        () => pollEds(port, cluster),
        (r) => r.status === 200 && endpointsOf(r).length === 1,
      );
      expect(endpointsOf(reply)[0]).toMatch(/ HEALTHY$/);
    });

    it('refuses, in one line, an engine whose certificate its CA did not sign', async () => {
      const agent = cli([
        ...['--docker-host', engineUrl, '--tlsverify', '--tlscacert', stranger.client.ca],
        ...['--tlscert', pki.client.cert, '--tlskey', pki.client.key],
      ]);
      expect(await exitOf(agent)).toBe(2);
      expect(agent.output()).toContain('eds-agent: cannot use the Docker engine:');
      expect(agent.output()).toContain(`TLS with the Docker engine at 127.0.0.1:${daemon.tcpPort}`);
    });

    it('refuses, in one line, when the engine does not accept its client certificate', async () => {
      const agent = cli([
        ...['--docker-host', engineUrl, '--tlsverify', '--tlscacert', pki.client.ca],
        ...['--tlscert', stranger.client.cert, '--tlskey', stranger.client.key],
      ]);
      expect(await exitOf(agent)).toBe(2);
      expect(agent.output()).toContain(`TLS with the Docker engine at 127.0.0.1:${daemon.tcpPort}`);
    });

    it('says to turn TLS on when the engine speaks it and the agent does not', async () => {
      const agent = cli(['--docker-host', engineUrl]);
      expect(await exitOf(agent)).toBe(2);
      expect(agent.output()).toContain(
        `the Docker engine at 127.0.0.1:${daemon.tcpPort} speaks TLS: add --tlsverify`,
      );
    });
  },
);
