import { describe, expect, it } from 'vitest';

import { buildBootstrap } from '../../src/core/front-door/build-bootstrap.js';
import { toChallengePath } from '../../src/core/front-door/build-http-routes.js';
import { chooseIssuer, isDevelopmentName } from '../../src/core/front-door/choose-issuer.js';
import { whyUncertifiable } from '../../src/core/front-door/to-tls-domains.js';
import {
  applyCertificates,
  applyChallenges,
  applyClusterEndpoints,
  type Snapshot,
  toAwaitingSnapshot,
} from '../../src/core/index/snapshot.js';
import type { ServiceOptions } from '../../src/core/labels/service-options.js';
import { SECRET_TYPE_URL } from '../../src/core/type-urls.js';
import { toResourceChanges } from '../../src/transports/grpc/create-xds-resources.js';
import { anEndpoint } from '../support/records.js';

// The front door as the core builds it: the agent's own listeners (`--listen`), the domains
// labelled for TLS, the secrets, and the plain HTTP listener's redirects and ACME answers.

const FRONT = {
  http: { address: '0.0.0.0', port: 80 },
  https: { address: '0.0.0.0', port: 443 },
};

function withService(snapshot: Snapshot, service: string, options: ServiceOptions = {}) {
  const endpoint = anEndpoint({
    cluster: service,
    address: '10.0.0.1',
    hostname: service,
    containerId: `id-${service}`,
    serviceOptions: options,
  });
  return applyClusterEndpoints(snapshot, [[service, [endpoint]]]);
}

const certificate = (domain: string) => ({
  domain,
  certificateChain: `chain of ${domain}\n`,
  privateKey: `key of ${domain}\n`,
});

describe('the front door', () => {
  it('serves an HTTP listener from the start, routed by front/http, and no HTTPS one without a certificate', () => {
    const empty = toAwaitingSnapshot([], { frontDoor: FRONT });
    expect([...(empty.frontDoor?.listeners.keys() ?? [])]).toEqual(['front/http']);
    const { snapshot } = withService(empty, 'web', { tls: true });
    // web and web.localhost want TLS; no certificate yet, so no HTTPS listener, no redirect.
    expect([...(snapshot.frontDoor?.tls.domains.keys() ?? [])]).toEqual(['web', 'web.localhost']);
    expect([...(snapshot.frontDoor?.listeners.keys() ?? [])]).toEqual(['front/http']);
    expect(snapshot.frontDoor?.httpRoutes?.json.virtual_hosts.map((host) => host.name)).toEqual([
      'web',
    ]);
  });

  it('gives each certified domain a filter chain by SNI naming its secret, and redirects HTTP for it with 308', () => {
    const { snapshot: labelled } = withService(
      toAwaitingSnapshot([], { frontDoor: FRONT }),
      'web',
      {
        tls: true,
      },
    );
    const { snapshot, change } = applyCertificates(labelled, [certificate('web.localhost')]);
    expect(change.secrets).toEqual(['tls/web.localhost']);
    expect(change.listeners).toEqual(['front/https']);
    expect(change.routeConfigurations).toEqual(['front/http']);
    const https = snapshot.frontDoor?.listeners.get('front/https')?.json;
    expect(https?.filter_chains.map((chain) => chain.filter_chain_match?.server_names)).toEqual([
      ['web.localhost'],
    ]);
    expect(
      https?.filter_chains[0]?.transport_socket?.typed_config.common_tls_context
        .tls_certificate_sds_secret_configs[0]?.name,
    ).toBe('tls/web.localhost');
    expect(snapshot.secrets.get('tls/web.localhost')?.json.tls_certificate).toEqual({
      certificate_chain: { inline_string: 'chain of web.localhost\n' },
      private_key: { inline_string: 'key of web.localhost\n' },
    });
    // HTTP: web.localhost redirected (its certificate is in); web, still waiting, routed.
    const hosts = snapshot.frontDoor?.httpRoutes?.json.virtual_hosts ?? [];
    expect(hosts.map((host) => [host.name, host.domains])).toEqual([
      ['web', ['web']],
      ['https-redirect', ['web.localhost']],
    ]);
    expect(hosts[1]?.routes[0]).toEqual({
      name: 'https-redirect',
      match: { prefix: '/' },
      redirect: { https_redirect: true, response_code: 'PERMANENT_REDIRECT' },
    });
  });

  it('names a non-default HTTPS port in the redirect, and redirects nothing with eds.tls.redirect=false', () => {
    const front = { ...FRONT, https: { address: '127.0.0.1', port: 8443 } };
    const { snapshot } = withService(toAwaitingSnapshot([], { frontDoor: front }), 'web', {
      tls: true,
    });
    const certified = applyCertificates(snapshot, [certificate('web')]).snapshot;
    const redirect = certified.frontDoor?.httpRoutes?.json.virtual_hosts.at(-1)?.routes[0];
    expect(redirect && 'redirect' in redirect && redirect.redirect.port_redirect).toBe(8443);
    const { snapshot: kept } = withService(toAwaitingSnapshot([], { frontDoor: front }), 'web', {
      tls: true,
      'tls.redirect': false,
    });
    const served = applyCertificates(kept, [certificate('web')]).snapshot;
    expect(served.frontDoor?.httpRoutes?.json.virtual_hosts.map((host) => host.name)).toEqual([
      'web',
    ]);
    expect(served.frontDoor?.listeners.has('front/https')).toBe(true);
  });

  it('leaves a service without TLS labels exactly as before: the same route configuration, byte for byte', () => {
    const without = withService(toAwaitingSnapshot([]), 'web').snapshot;
    const withFront = withService(toAwaitingSnapshot([], { frontDoor: FRONT }), 'web').snapshot;
    expect(JSON.stringify(withFront.routes.json)).toBe(JSON.stringify(without.routes.json));
    expect(withFront.routes.version).toBe(without.routes.version);
    expect(JSON.stringify(withFront.frontDoor?.httpRoutes?.json.virtual_hosts)).toBe(
      JSON.stringify(without.routes.json.virtual_hosts),
    );
  });

  it('answers an ACME HTTP-01 challenge first in every virtual host of the HTTP listener, and stops once withdrawn', () => {
    const { snapshot } = withService(toAwaitingSnapshot([], { frontDoor: FRONT }), 'web');
    const answered = applyChallenges(snapshot, new Map([['tok', 'tok.thumbprint']]));
    expect(answered.change.routeConfigurations).toEqual(['front/http']);
    const first = answered.snapshot.frontDoor?.httpRoutes?.json.virtual_hosts[0]?.routes[0];
    expect(first).toEqual({
      name: 'acme-challenge',
      match: { path: toChallengePath('tok') },
      direct_response: { status: 200, body: { inline_string: 'tok.thumbprint' } },
    });
    const withdrawn = applyChallenges(answered.snapshot, new Map());
    expect(withdrawn.snapshot.frontDoor?.httpRoutes?.version).toBe(
      snapshot.frontDoor?.httpRoutes?.version,
    );
  });

  it('pushes a listener that stops naming a secret before the secret goes', () => {
    const { snapshot: labelled } = withService(
      toAwaitingSnapshot([], { frontDoor: FRONT }),
      'web',
      {
        tls: true,
      },
    );
    const served = applyCertificates(labelled, [certificate('web')]).snapshot;
    const { snapshot, change } = applyCertificates(served, []);
    const order = toResourceChanges(change, snapshot)
      .filter(([, names]) => names.length > 0)
      .map(([type]) => type.split('.').at(-1));
    expect(order.indexOf('Listener')).toBeLessThan(order.indexOf('Secret'));
    expect(change.secrets).toEqual(['tls/web']);
    expect(toResourceChanges(change, snapshot).find(([type]) => type === SECRET_TYPE_URL)).toEqual([
      SECRET_TYPE_URL,
      ['tls/web'],
    ]);
  });
});

describe('which domains can have a certificate, and from whom', () => {
  it('refuses what no certificate names', () => {
    expect(whyUncertifiable('*')).toMatch(/any host/);
    expect(whyUncertifiable('api.*')).toMatch(/wildcard at the end/);
    expect(whyUncertifiable('10.0.0.1')).toMatch(/IP address/);
    expect(whyUncertifiable('*.example.com')).toBeUndefined();
    expect(whyUncertifiable('shop.example.com')).toBeUndefined();
  });

  it('signs development names with the internal CA and public ones with ACME when an account is set', () => {
    expect(
      ['web', 'web.localhost', 'app.test', 'db.internal', '*.dev.test'].map(isDevelopmentName),
    ).toEqual([true, true, true, true, true]);
    expect(chooseIssuer('shop.example.com', 'auto', true)).toBe('acme');
    expect(chooseIssuer('shop.example.com', 'auto', false)).toBe('internal');
    expect(chooseIssuer('app.test', 'auto', true)).toBe('internal');
    expect(chooseIssuer('app.test', 'file', true)).toBe('file');
  });
});

describe('the bootstrap `eds-agent bootstrap` prints', () => {
  it('has Envoy take everything over ADS from the agent, by DNS name or address, with TLS when asked', () => {
    const plain = buildBootstrap({
      nodeId: 'n',
      admin: { address: '127.0.0.1', port: 9901 },
      xds: { host: 'eds-agent', port: 18000 },
    }) as {
      dynamic_resources: object;
      static_resources: { clusters: { type: string; transport_socket?: unknown }[] };
    };
    expect(plain.dynamic_resources).toMatchObject({
      cds_config: { ads: {} },
      lds_config: { ads: {} },
    });
    expect(plain.static_resources.clusters[0]?.type).toBe('STRICT_DNS');
    expect(plain.static_resources.clusters[0]?.transport_socket).toBeUndefined();
    const tls = buildBootstrap({
      nodeId: 'n',
      admin: { address: '127.0.0.1', port: 9901 },
      xds: { host: '10.1.2.3', port: 18000 },
      tls: { caFile: '/ca.pem', client: { certFile: '/c.pem', keyFile: '/k.pem' } },
    }) as { static_resources: { clusters: { type: string; transport_socket?: unknown }[] } };
    expect(tls.static_resources.clusters[0]?.type).toBe('STATIC');
    expect(JSON.stringify(tls.static_resources.clusters[0]?.transport_socket)).toMatch(
      /"trusted_ca":\{"filename":"\/ca.pem"\}.*|"filename":"\/c.pem"/,
    );
  });
});
