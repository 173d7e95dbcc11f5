import { compareText } from '../compare-text.js';
import type { RouteConfigurationJson } from '../envoy/build-route-configuration.js';
import type { TlsIssuer } from '../labels/option-values.js';
import type { ServiceOptions } from '../labels/service-options.js';

/** A domain served over HTTPS, and what its services ask of it. */
export interface TlsDomain {
  readonly domain: string;
  /** The service whose labels asked for TLS (of several, the first in sort order). */
  readonly service: string;
  /** `eds.tls.issuer`; undefined: `--tls-issuer` decides. */
  readonly issuer: TlsIssuer | undefined;
  /** Whether plain HTTP to it is answered with a redirect to HTTPS (`eds.tls.redirect`). */
  readonly redirect: boolean;
}

/** A domain a service asked TLS for that no certificate can name. */
export interface UncertifiableDomain {
  readonly service: string;
  readonly domain: string;
  readonly reason: string;
}

/** What `toTlsDomains` found: the domains to serve over HTTPS, and those it had to leave. */
export interface TlsDomains {
  /** By domain, in sort order. */
  readonly domains: ReadonlyMap<string, TlsDomain>;
  readonly uncertifiable: readonly UncertifiableDomain[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Why no certificate can name `domain` (a route domain, lower case), or undefined when one can. */
export function whyUncertifiable(domain: string): string | undefined {
  if (domain === '*') return 'it matches any host, which no certificate names';
  if (domain.endsWith('*'))
    return 'a wildcard at the end (`api.*`) is not a name a certificate can hold';
  if (domain.lastIndexOf('*') > 0) return 'a certificate takes a wildcard only as its first label';
  if (IPV4.test(domain) || domain.includes(':')) return 'it is an IP address, not a host name';
  return undefined;
}

/**
 * The domains served over HTTPS: every domain routed (in `routes`, the agent's route
 * configuration, so each domain is there only for the services that won it) to a service whose
 * options say `tls=true`. A domain shared by several services (by path prefix) is HTTPS when
 * any of them asks, and redirects plain HTTP unless one of them says `tls.redirect=false`.
 * Deterministic, whatever the order of `optionsOf`. Pure.
 */
export function toTlsDomains(
  routes: RouteConfigurationJson,
  optionsOf: (service: string) => ServiceOptions | undefined,
): TlsDomains {
  const domains = new Map<string, TlsDomain>();
  const uncertifiable: UncertifiableDomain[] = [];
  for (const host of routes.virtual_hosts) {
    const asking = [...new Set(host.routes.map((route) => route.name))]
      .sort(compareText)
      .flatMap((service) => {
        const options = optionsOf(service);
        return options?.tls === true ? [{ service, options }] : [];
      });
    const first = asking[0];
    if (first === undefined) continue;
    const redirect = asking.every(({ options }) => options['tls.redirect'] !== false);
    for (const domain of host.domains) {
      const reason = whyUncertifiable(domain);
      if (reason !== undefined) {
        uncertifiable.push({ service: first.service, domain, reason });
        continue;
      }
      domains.set(domain, {
        domain,
        service: first.service,
        issuer: first.options['tls.issuer'],
        redirect,
      });
    }
  }
  const sorted = [...domains].sort(([a], [b]) => compareText(a, b));
  return { domains: new Map(sorted), uncertifiable };
}
