import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/eventually.js';
import { GREETER_IMAGE } from '../support/greeter-example.js';
import { answeredBy, sendRequests } from '../support/http-load.js';
import { REPO_ROOT } from '../support/repo-files.js';
import { provideStandIns } from '../support/stand-in-images.js';
import { lacks } from '../support/test-tools.js';
import { useEnvoyStage } from '../support/use-envoy-stage.js';

// TLS from Envoy to the containers (`eds.protocol=https`): the cluster the agent serves speaks
// TLS with the service's server name, and verifies the container's certificate against
// `--upstream-ca`, sent inline in the cluster. A container whose certificate another CA signed
// gets no request; `eds.tls.upstream_verify=false` takes it as it is.

const MISSING_TOOLS = lacks('docker', 'busybox', 'envoy', 'openssl');
describe.skipIf(MISSING_TOOLS)('TLS to the containers (eds.protocol=https)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eds-agent-upstream-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  /** A CA named `name` in `dir`: its certificate and key. */
  const makeCa = (name: string) => {
    const key = join(dir, `${name}-ca.key`);
    const cert = join(dir, `${name}-ca.pem`);
    openssl(
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name} CA`],
    );
    return { key, cert };
  };
  /** A certificate for `host`, signed by `ca`; its files' paths. */
  const makeLeaf = (ca: { key: string; cert: string }, host: string) => {
    const key = join(dir, `${host}.key`);
    const csr = join(dir, `${host}.csr`);
    const cert = join(dir, `${host}.pem`);
    const ext = join(dir, `${host}.ext`);
    openssl(
      ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-keyout', key, '-out', csr, '-subj', `/CN=${host}`],
    );
    writeFileSync(ext, `subjectAltName = DNS:${host}\n`);
    openssl(
      ...['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial'],
      ...['-days', '2', '-extfile', ext, '-out', cert],
    );
    return { key, cert };
  };
  const trusted = makeCa('trusted');
  const stranger = makeCa('stranger');
  const stage = useEnvoyStage(['--upstream-ca', trusted.cert]);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A container of `service` serving HTTPS on 8000 with `leaf`. */
  const httpsUpstream = async (
    service: string,
    leaf: { key: string; cert: string },
    labels: Record<string, string>,
  ) => {
    await provideStandIns([GREETER_IMAGE]);
    return stage.upstream(
      service,
      { 'eds.protocol': 'https', ...labels },
      {
        image: GREETER_IMAGE,
        cmd: ['node', join(REPO_ROOT, 'test/fixtures/https-hostname.mjs')],
        env: { CERT: leaf.cert, KEY: leaf.key, PORT: '8000' },
        readOnlyMounts: [REPO_ROOT, dir],
      },
    );
  };
  const ask = (url: string, host: string) => sendRequests(url, 2, { host });

  it('reaches a container over TLS verified by --upstream-ca, and refuses one another CA signed', async () => {
    const envoy = await stage.envoyRoutedByAgent();
    const secure = stage.serviceFor('secure');
    const sni = `${secure}.internal`;
    const container = await httpsUpstream(secure, makeLeaf(trusted, sni), {
      'eds.tls.upstream_sni': sni,
    });
    await eventually(
      'Envoy answers from the container, over TLS',
      () => ask(envoy.url, `${secure}.localhost`),
      (seen) => seen.failures.length === 0 && answeredBy(seen).join() === container.id.slice(0, 12),
    );
    const forged = stage.serviceFor('forged');
    await httpsUpstream(forged, makeLeaf(stranger, forged), {});
    await eventually(
      'the agent serves the forged service',
      async () => (await envoy.hosts(forged)).length,
      (hosts) => hosts === 1,
    );
    const refused = await ask(envoy.url, `${forged}.localhost`);
    expect(refused.answers.size).toBe(0);
    expect(refused.failures[0]).toMatch(/^503/);
  });

  it('takes a certificate unverified only when its service says eds.tls.upstream_verify=false', async () => {
    const envoy = await stage.envoyRoutedByAgent();
    const dev = stage.serviceFor('selfsigned');
    const container = await httpsUpstream(dev, makeLeaf(stranger, 'localhost'), {
      'eds.tls.upstream_verify': 'false',
    });
    await eventually(
      'Envoy answers from the container',
      () => ask(envoy.url, `${dev}.localhost`),
      (seen) => seen.failures.length === 0 && answeredBy(seen).join() === container.id.slice(0, 12),
    );
  });
});
