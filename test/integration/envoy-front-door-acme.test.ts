import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeEach, describe, expect, it } from 'vitest';

import { startTestAgent } from '../support/agent-harness.js';
import { eventually } from '../support/eventually.js';
import { freeLoopbackPort, freeReservedPort } from '../support/free-port.js';
import { answeredBy, sendRequests } from '../support/http-load.js';
import { BLOCKED_DOMAIN, type RunningPebble, startPebble } from '../support/pebble.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoyStage } from '../support/use-envoy-stage.js';

// HTTPS from a real ACME server: Pebble, Let's Encrypt's test server, validates the HTTP-01
// challenge by asking Envoy's HTTP listener on 127.0.0.1 (its DNS stand-in resolves every test
// domain there), which answers it from a route the agent serves over RDS. No challenge
// container, no file: the agent places the order, Envoy answers, the certificate comes back
// over SDS.

const MISSING_TOOLS = lacks('docker', 'busybox', 'envoy', 'go', 'openssl');
describe.skipIf(MISSING_TOOLS)(
  'certificates from an ACME CA (Pebble), HTTP-01 answered by Envoy',
  () => {
    const store = mkdtempSync(join(tmpdir(), 'eds-agent-acme-store-'));
    let http = 0;
    let https = 0;
    let pebble: RunningPebble | undefined;
    const acmeArgs = () => {
      if (!pebble) throw new Error('Pebble starts before the agent');
      return [
        ...['--acme-directory', pebble.directory, '--acme-email', 'ops@example.com'],
        ...['--acme-ca', pebble.apiCa, '--tls-store', store],
      ];
    };
    const stage = useEnvoyStage(async () => {
      http = await freeReservedPort();
      https = await freeReservedPort();
      pebble = await startPebble(http);
      return ['--listen', `http=127.0.0.1:${http},https=127.0.0.1:${https}`, ...acmeArgs()];
    });
    afterAll(async () => {
      await pebble?.stop();
      rmSync(store, { recursive: true, force: true });
    });

    // A failing test prints what the agent said of its certificates and orders.
    beforeEach(({ onTestFailed }) => {
      onTestFailed(() => {
        const lines = stage.agent.logs.filter((line) =>
          /ACME|certificate|challenge/i.test(line.msg),
        );
        process.stderr.write(
          `\n--- the agent on certificates ---\n${lines.map((line) => JSON.stringify(line)).join('\n')}\n`,
        );
      });
    });

    const startEnvoy = () => stage.envoyFromBootstrap();
    const orders = (logs: { msg: string; domain?: unknown }[], domain: string) =>
      logs.filter((line) => line.msg === 'ACME order placed' && line.domain === domain);

    it('gets a certificate from Pebble through Envoy’s HTTP-01 route, and serves the container over HTTPS with it', async () => {
      const envoy = await startEnvoy();
      const service = stage.serviceFor('app');
      const domain = `${service}.test`;
      const container = await stage.upstream(service, {
        'eds.domains': domain,
        'eds.tls': 'true',
        'eds.tls.issuer': 'acme',
      });
      const root = (await pebble?.root()) ?? '';
      const report = await eventually(
        'Envoy answers https://<domain> with a certificate Pebble’s root verifies',
        () =>
          sendRequests(
            `https://127.0.0.1:${https}/`,
            2,
            { host: domain },
            { ca: root, servername: domain },
          ),
        (seen) =>
          seen.failures.length === 0 && answeredBy(seen).join() === container.id.slice(0, 12),
        { timeoutMs: 30_000 },
      );
      expect(report.certificates.size).toBe(1);
      expect(orders(stage.agent.logs, domain)).toHaveLength(1);
      // Plain HTTP to the domain is redirected; the challenge route is gone.
      expect(await statusOf(`http://127.0.0.1:${http}/`, domain)).toBe(308);
      expect(await envoy.stat('listener_manager.lds.update_rejected')).toBe(0);
    }, 60_000);

    it('shows an order the CA refuses in /status and /metrics, with its next attempt, and keeps the domain on HTTP', async () => {
      await startEnvoy();
      const service = stage.serviceFor('refused');
      // A name the CA's policy refuses.
      const domain = `${service}.${BLOCKED_DOMAIN}`;
      await stage.upstream(service, {
        'eds.domains': domain,
        'eds.tls': 'true',
        'eds.tls.issuer': 'acme',
      });
      const refused = await eventually(
        'the failure is in /status',
        () => certificateOf(stage.agent.port, domain),
        (certificate) => certificate?.error != null,
        { timeoutMs: 30_000 },
      );
      expect(refused).toMatchObject({ notAfter: null, failures: 1 });
      const next = Date.parse(refused?.nextAttempt ?? '');
      expect(next - Date.now()).toBeGreaterThan(20_000);
      const metrics = await (await fetch(`http://127.0.0.1:${stage.agent.port}/metrics`)).text();
      expect(metrics).toMatch(
        /^eds_agent_certificate_issuances_total\{issuer="acme",outcome="failed"\} [1-9]/m,
      );
      expect(metrics).toMatch(/^eds_agent_certificates\{issuer="acme",state="missing"\} [1-9]/m);
    }, 60_000);

    it('a second agent on the same store serves the same certificate and places no order', async () => {
      const service = stage.serviceFor('kept');
      const domain = `${service}.test`;
      await startEnvoy();
      await stage.upstream(service, {
        'eds.domains': domain,
        'eds.tls': 'true',
        'eds.tls.issuer': 'acme',
      });
      await eventually(
        'the first agent holds a certificate',
        () => certificateOf(stage.agent.port, domain),
        (certificate) => certificate?.notAfter != null,
        { timeoutMs: 30_000 },
      );
      const second = await startTestAgent([
        '--address-mode',
        'host',
        ...['--listen', `https=127.0.0.1:${await freeLoopbackPort()}`],
        ...acmeArgs(),
      ]);
      try {
        const served = await eventually(
          'the second agent serves it',
          () => certificateOf(second.port, domain),
          (certificate) => certificate?.notAfter != null,
        );
        expect(served).toEqual(await certificateOf(stage.agent.port, domain));
        expect(orders(second.logs, domain)).toEqual([]);
        expect(orders(stage.agent.logs, domain)).toHaveLength(1);
      } finally {
        await second.stop();
      }
    }, 60_000);
  },
);

/** What an agent's `/status` says of the certificate of `domain`. */
async function certificateOf(port: number, domain: string) {
  const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
    frontDoor: {
      certificates: {
        domain: string;
        notAfter: string | null;
        renewAt: string | null;
        error: string | null;
        failures: number;
        nextAttempt: string | null;
      }[];
    };
  };
  return status.frontDoor.certificates.find((certificate) => certificate.domain === domain);
}

function statusOf(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}
