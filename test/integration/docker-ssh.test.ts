import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestAgent } from '../support/agent-harness.js';
import { exitOf, killRunningClis, startCli } from '../support/cli.js';
import { DockerHarness } from '../support/docker-harness.js';
import { eventually } from '../support/eventually.js';
import { PrivateSshd } from '../support/private-sshd.js';
import { lacks } from '../support/test-tools.js';

// `--docker-host ssh://user@host`, as the docker CLI accepts it: the agent logs in with a key,
// checks the host's key against known_hosts, and reaches the engine through
// `docker system dial-stdio` on that host (here an sshd of the test's on loopback).
describe.skipIf(lacks('docker', 'busybox', ...PrivateSshd.NEEDS))(
  'a Docker engine reached over ssh',
  () => {
    const sshd = new PrivateSshd();
    const docker = new DockerHarness();
    const cluster = `ssh-${docker.runId}`;
    let engineUrl: string;

    beforeAll(async () => {
      await sshd.start();
      engineUrl = `ssh://root@127.0.0.1:${sshd.port}`;
      await docker.buildImage();
      await docker.run({ labels: { 'eds.service': cluster, 'eds.port': '8000' } });
    });
    afterAll(async () => {
      killRunningClis();
      sshd.stop();
      await docker.cleanup();
    });

    it('is followed through ssh://root@host:port with a key and a known_hosts entry', async () => {
      const agent = await startTestAgent([
        ...['--docker-host', engineUrl, '--ssh-identity', sshd.identity],
        ...['--ssh-known-hosts', sshd.knownHosts],
      ]);
      try {
        const served = await eventually(
          'the container is served',
          () => agent.endpoints(cluster),
          (endpoints) => endpoints.length === 1,
        );
        expect(served[0]).toMatch(/ HEALTHY$/);
      } finally {
        await agent.stop();
      }
    });

    it('refuses, in one line, a host whose key is not the one known_hosts lists', async () => {
      const cli = startCli([
        ...['--port', '0', '--bind', '127.0.0.1', '--docker-host', engineUrl],
        ...['--ssh-identity', sshd.identity, '--ssh-known-hosts', sshd.wrongKnownHosts],
      ]);
      expect(await exitOf(cli)).toBe(2);
      expect(cli.output()).toContain(
        `the host key of 127.0.0.1:${sshd.port} is not the one ${sshd.wrongKnownHosts} lists`,
      );
    });
  },
);
