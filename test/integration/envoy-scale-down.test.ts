import type { Container } from 'dockerode';
import { describe, expect, it } from 'vitest';

import { serveHostnameDrainingOnTerm } from '../support/docker-harness.js';
import { ENVOY_SCENARIOS_RUN } from '../support/envoy-binary.js';
import { TEST_REFRESH_DELAY_SECONDS } from '../support/envoy-bootstrap.js';
import { eventually } from '../support/eventually.js';
import { answeredBy, type LoadReport, sendRequests } from '../support/http-load.js';
import { startTestLoad } from '../support/start-test-load.js';
import { useEnvoyStage } from '../support/use-envoy-stage.js';

// `docker stop` of 2 of 3 replicas while requests flow through Envoy without a pause. Envoy
// polls every 0.5-1 s, so for up to a second after the stop it may still pick a stopping
// container: what that costs depends on how the container stops and on the route's settings
// in examples/host-mode/envoy.yaml, which this Envoy runs.
describe.skipIf(!ENVOY_SCENARIOS_RUN)('scaling down under load through a real Envoy', () => {
  const { serviceFor, upstream, envoyFor } = useEnvoyStage();

  /** Stops two of three replicas under load and reports what the clients saw. */
  async function scaleDownUnderLoad(scenario: string, drainSeconds: number): Promise<LoadReport> {
    const service = serviceFor(scenario);
    const replicas: Container[] = [];
    for (let i = 0; i < 3; i++) {
      replicas.push(
        await upstream(
          service,
          {},
          { cmd: serveHostnameDrainingOnTerm(drainSeconds), stopTimeout: 10 },
        ),
      );
    }
    const ids = replicas.map((replica) => replica.id.slice(0, 12));
    const envoy = await envoyFor(service);
    await eventually(
      'Envoy routes to all three',
      () => sendRequests(envoy.url, 6),
      (report) => answeredBy(report).join() === [...ids].sort().join(),
    );

    const load = startTestLoad(envoy.url, { concurrency: 2 });
    await eventually(
      'the load reaches every replica',
      () => answeredBy(load.report()).length,
      (n) => n === 3,
    );
    const [first, second, survivor] = replicas as [Container, Container, Container];
    await Promise.all([first.stop(), second.stop()]);
    await eventually(
      'Envoy holds only the survivor',
      async () => (await envoy.hosts('web')).length,
      (n) => n === 1,
    );
    // A few more refresh periods of load once both are gone.
    const sentBefore = load.report().sent;
    await eventually(
      'more requests after the scale-down',
      () => load.report().sent,
      (n) => n > sentBefore + 200,
    );
    const report = await load.stop();
    process.stdout.write(
      `scale-down 3 → 1 (${scenario}): ${report.sent} requests, ${report.failures.length} failed\n`,
    );
    expect(report.answers.get(survivor.id.slice(0, 12))).toBeGreaterThan(0);
    return report;
  }

  it('costs zero failed requests when containers keep serving for two refresh periods after SIGTERM', async () => {
    const report = await scaleDownUnderLoad('draining', 4 * TEST_REFRESH_DELAY_SECONDS);
    expect(report.failures).toEqual([]);
  });

  it('costs zero failed requests even when containers exit at once on SIGTERM', async () => {
    const report = await scaleDownUnderLoad('abrupt', 0);
    expect(report.failures).toEqual([]);
  });
});
