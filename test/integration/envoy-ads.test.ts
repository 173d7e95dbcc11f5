import type { Container } from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';

import { toAdsBootstrap } from '../support/ads-bootstrap.js';
import { type Cli, exitOf, killRunningClis, startCli } from '../support/cli.js';
import { serveHostnameDrainingOnTerm } from '../support/docker-harness.js';
import { eventually } from '../support/eventually.js';
import { freeLoopbackPort } from '../support/free-port.js';
import { answeredBy, sendRequests, sentMore } from '../support/http-load.js';
import { startTestLoad } from '../support/start-test-load.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoyStage } from '../support/use-envoy-stage.js';
import { useEnvoys } from '../support/use-envoys.js';

// A real Envoy with nothing per service in its config: clusters come by CDS and endpoints by
// EDS, both pushed over one ADS stream from the agent's gRPC server. The agent runs in host
// mode; the containers publish on 127.0.0.1; requests go through Envoy's listener, which
// routes by the `x-service` header to the cluster of that name.
afterAll(killRunningClis);

describe.skipIf(lacks('docker', 'busybox', 'envoy')).each(['GRPC', 'DELTA_GRPC'] as const)(
  'Envoy fed over gRPC ADS (api_type %s)',
  (apiType) => {
    const stage = useEnvoyStage();
    const { serviceFor, upstream } = stage;
    const envoys = useEnvoys();
    const idOf = (container: Container) => container.id.slice(0, 12);
    const startEnvoy = async () => {
      const port = stage.agent.agent.grpcPort;
      if (port === undefined) throw new Error('the agent runs without its gRPC server');
      return envoys.start(toAdsBootstrap(port, apiType));
    };

    it('routes to a new service the moment its first container starts, with no config change', async () => {
      const envoy = await startEnvoy();
      const service = serviceFor(`ads-new-${apiType}`.toLowerCase());
      expect(await envoy.hosts(service)).toEqual([]);

      const started = Date.now();
      const first = await upstream(service);
      await eventually(
        'Envoy holds the new cluster with its container',
        () => envoy.hosts(service),
        (hosts) => hosts.length === 1 && hosts[0]?.edsHealth === 'HEALTHY',
        { intervalMs: 20 },
      );
      const pushedWithinMs = Date.now() - started;
      const report = await sendRequests(envoy.url, 20, { 'x-service': service });
      expect(report.failures).toEqual([]);
      expect(answeredBy(report)).toEqual([idOf(first)]);
      // Pushed, not polled: well under a REST poll's refresh_delay (5 s by default).
      expect(pushedWithinMs).toBeLessThan(2000);
    });

    it('follows scaling up and down, and its config dump shows the clusters and endpoints', async () => {
      const envoy = await startEnvoy();
      const service = serviceFor(`ads-scale-${apiType}`.toLowerCase());
      const replicas = [await upstream(service), await upstream(service), await upstream(service)];
      const hostCount = async () => (await envoy.hosts(service)).length;
      await eventually('Envoy holds three', hostCount, (n) => n === 3);
      const report = await sendRequests(envoy.url, 30, { 'x-service': service });
      expect(report.failures).toEqual([]);
      expect(answeredBy(report)).toEqual(replicas.map(idOf).sort());

      const dump = await (await fetch(`${envoy.adminUrl}/config_dump?include_eds`)).text();
      expect(dump).toContain(`"name": "${service}"`);
      expect(dump).toContain('"cluster_name": "' + service + '"');

      await replicas[0]?.remove({ force: true });
      await replicas[1]?.remove({ force: true });
      await eventually('Envoy holds one', hostCount, (n) => n === 1);
      const after = await sendRequests(envoy.url, 10, { 'x-service': service });
      expect(after.failures).toEqual([]);
      expect(answeredBy(after)).toEqual([idOf(replicas[2] as Container)]);
    });

    it('scales 3 → 1 under constant load with zero failed requests', async () => {
      const envoy = await startEnvoy();
      const service = serviceFor(`ads-drain-${apiType}`.toLowerCase());
      const draining = { cmd: serveHostnameDrainingOnTerm(1), stopTimeout: 5 };
      const replicas = [
        await upstream(service, {}, draining),
        await upstream(service, {}, draining),
        await upstream(service, {}, draining),
      ];
      await eventually(
        'Envoy holds three',
        async () => (await envoy.hosts(service)).length,
        (n) => n === 3,
      );
      const load = startTestLoad(envoy.url, { headers: { 'x-service': service } });
      await sentMore(load, 20);
      await Promise.all([replicas[0]?.stop(), replicas[1]?.stop()]);
      await eventually(
        'Envoy holds one',
        async () => (await envoy.hosts(service)).length,
        (n) => n === 1,
      );
      await sentMore(load, 20);
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(report.sent).toBeGreaterThan(50);
      expect(answeredBy(report)).toContain(idOf(replicas[2] as Container));
    });

    it('keeps routing while the agent is killed, and takes it back without re-warming anything', async () => {
      const grpcPort = await freeLoopbackPort();
      const args = [
        ...['--port', '0', '--grpc-port', String(grpcPort), '--bind', '127.0.0.1'],
        ...['--address-mode', 'host'],
      ];
      const listening = async (cli: Cli) =>
        eventually(
          'the agent listens',
          () => cli.output(),
          (out) => out.includes('eds-agent listening'),
          {
            timeoutMs: 15_000,
          },
        );
      let agent = startCli(args);
      await listening(agent);
      const service = serviceFor(`ads-restart-${apiType}`.toLowerCase());
      const replicas = [await upstream(service), await upstream(service)];
      const envoy = await envoys.start(toAdsBootstrap(grpcPort, apiType));
      await eventually(
        'Envoy holds two',
        async () => (await envoy.hosts(service)).length,
        (n) => n === 2,
      );
      const modified = await envoy.stat('cluster_manager.cluster_modified');
      const added = await envoy.stat('cluster_manager.cluster_added');
      const load = startTestLoad(envoy.url, { headers: { 'x-service': service } });

      agent.kill('SIGKILL');
      await exitOf(agent);
      await eventually(
        'Envoy sees the agent gone',
        () => envoy.stat('control_plane.connected_state'),
        (state) => state === 0,
      );
      await sentMore(load, 20); // routing on, agent gone
      agent = startCli(args);
      try {
        await listening(agent);
        await eventually(
          'Envoy reconnects',
          () => envoy.stat('control_plane.connected_state'),
          (state) => state === 1,
          { timeoutMs: 15_000 },
        );
        await sentMore(load, 20);
        const report = await load.stop();
        expect(report.failures).toEqual([]);
        expect(answeredBy(report)).toEqual(replicas.map(idOf).sort());
        expect(await envoy.hosts(service)).toHaveLength(2);
        expect(await envoy.stat('cluster_manager.cluster_modified')).toBe(modified);
        expect(await envoy.stat('cluster_manager.cluster_added')).toBe(added);
      } finally {
        agent.kill('SIGKILL');
      }
    }, 60_000);
  },
);
