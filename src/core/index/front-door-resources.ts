import { authHttpFilters, outsideAuthUrls } from '../envoy/auth-filters.js';
import {
  buildOutsideCluster,
  type OutsideClusterJson,
  toOutsideClusterName,
} from '../envoy/build-outside-cluster.js';
import type { RouteConfigurationJson } from '../envoy/build-route-configuration.js';
import {
  buildHttpListener,
  buildHttpsListener,
  type FrontListenerJson,
} from '../front-door/build-front-listeners.js';
import { buildHttpRoutes } from '../front-door/build-http-routes.js';
import { type FrontDoorSettings, toSecretName } from '../front-door/front-door-settings.js';
import {
  type PassthroughClaimant,
  toPassthroughNames,
} from '../front-door/to-passthrough-names.js';
import { type TlsDomains, toTlsDomains } from '../front-door/to-tls-domains.js';
import type { ServiceOptions } from '../labels/service-options.js';
import { changedVersions, toVersioned, type Versioned } from './versioned.js';

/** The front door's resources (`--listen`), rebuilt from the routes, options and secrets. */
export interface FrontDoorResources {
  readonly settings: FrontDoorSettings;
  /** The domains served over HTTPS (whether or not their certificate is in yet). */
  readonly tls: TlsDomains;
  /** By name: `front/http`, and `front/https` once a certificate is served. */
  readonly listeners: ReadonlyMap<string, Versioned<FrontListenerJson>>;
  /** The plain HTTP listener's route configuration (`front/http`), with it. */
  readonly httpRoutes: Versioned<RouteConfigurationJson> | undefined;
  /** The pending ACME HTTP-01 challenges the HTTP listener answers: token → key authorization. */
  readonly challenges: ReadonlyMap<string, string>;
  /** By name (`outside/<host>:<port>`): a cluster for each auth host outside the stack the routed services name. */
  readonly outside: ReadonlyMap<string, Versioned<OutsideClusterJson>>;
}

/**
 * The front door for the agent's route configuration `routes`: an HTTP listener routed by
 * `routes` with the domains served over HTTPS redirected, and an HTTPS listener with a filter
 * chain for each domain whose secret is among `secretNames` (a domain still waiting for its
 * certificate stays on plain HTTP, never redirected to a chain Envoy cannot serve). What did
 * not change keeps `previous`'s objects; the ACME challenges are `previous`'s unless given. Pure.
 */
export function toFrontDoorResources(
  settings: FrontDoorSettings,
  routes: Versioned<RouteConfigurationJson>,
  optionsOf: (service: string) => ServiceOptions | undefined,
  secretNames: ReadonlySet<string>,
  previous?: FrontDoorResources,
  challenges: ReadonlyMap<string, string> = previous?.challenges ?? new Map(),
  claimants: Iterable<PassthroughClaimant> = [],
): FrontDoorResources {
  const tls = toTlsDomains(routes.json, optionsOf);
  const routed = [...routedOptions(routes.json, optionsOf)];
  const auth = authHttpFilters(routed);
  const outside = toOutsideClusters(routed, settings.upstreamCa, previous?.outside);
  const served = settings.https
    ? [...tls.domains.keys()].filter((domain) => secretNames.has(toSecretName(domain)))
    : [];
  const listeners = new Map<string, Versioned<FrontListenerJson>>();
  let httpRoutes: Versioned<RouteConfigurationJson> | undefined;
  if (settings.http) {
    const redirected = new Set(served.filter((domain) => tls.domains.get(domain)?.redirect));
    const port = settings.https?.port ?? 0;
    httpRoutes = toVersioned(
      buildHttpRoutes(routes.json, redirected, port, challenges),
      previous?.httpRoutes,
    );
    const listener = buildHttpListener(
      { ...settings, http: settings.http },
      httpRoutes.json.name,
      auth,
    );
    listeners.set(listener.name, toVersioned(listener, previous?.listeners.get(listener.name)));
  }
  const passthrough = settings.https
    ? toPassthroughNames(claimants, new Set(tls.domains.keys()))
    : new Map<string, string>();
  if (settings.https && (served.length > 0 || passthrough.size > 0)) {
    const listener = buildHttpsListener(
      { ...settings, https: settings.https },
      served,
      routes.json.name,
      auth,
      passthrough,
    );
    listeners.set(listener.name, toVersioned(listener, previous?.listeners.get(listener.name)));
  }
  return { settings, tls, listeners, httpRoutes, challenges, outside };
}

/**
 * A cluster for each host outside the stack that `services`' auth labels name, by name; none
 * without `upstreamCa` (the serving policy refuses such a service then). What did not change
 * keeps `previous`'s objects.
 */
function toOutsideClusters(
  services: readonly ServiceOptions[],
  upstreamCa: string | undefined,
  previous: ReadonlyMap<string, Versioned<OutsideClusterJson>> | undefined,
): ReadonlyMap<string, Versioned<OutsideClusterJson>> {
  const clusters = new Map<string, Versioned<OutsideClusterJson>>();
  if (upstreamCa === undefined) return clusters;
  for (const url of services.flatMap(outsideAuthUrls)) {
    const name = toOutsideClusterName(url);
    if (!clusters.has(name))
      clusters.set(name, toVersioned(buildOutsideCluster(url, upstreamCa), previous?.get(name)));
  }
  return clusters;
}

/** The options of each service `routes` routes to, once each. */
function* routedOptions(
  routes: RouteConfigurationJson,
  optionsOf: (service: string) => ServiceOptions | undefined,
): Generator<ServiceOptions> {
  const seen = new Set<string>();
  for (const host of routes.virtual_hosts)
    for (const route of host.routes) {
      if (seen.has(route.name)) continue;
      seen.add(route.name);
      const options = optionsOf(route.name);
      if (options) yield options;
    }
}

/** The names of `after`'s listeners, HTTP routes and outside clusters whose version differs from `before`'s. */
export function frontDoorChanges(
  before: FrontDoorResources | undefined,
  after: FrontDoorResources | undefined,
): { listeners: string[]; routeConfigurations: string[]; outside: string[] } {
  const routes = before?.httpRoutes ?? after?.httpRoutes;
  const routeConfigurations =
    routes && before?.httpRoutes?.version !== after?.httpRoutes?.version ? [routes.json.name] : [];
  return {
    listeners: changedVersions(before?.listeners, after?.listeners),
    routeConfigurations,
    outside: changedVersions(before?.outside, after?.outside),
  };
}
