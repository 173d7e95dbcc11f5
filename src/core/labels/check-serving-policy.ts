import type { ContainerConstraint } from './container-constraint.js';
import type { ServiceBinding } from './parse-service-labels.js';

/** Which labelled containers the agent serves, and what their labels may claim (the flags of the same names). */
export interface ServingPolicy {
  /** Serve labelled containers that do not say `<prefix>.enable=true` (`--exposed-by-default`). */
  readonly exposedByDefault: boolean;
  /** Tests every served container's labels pass (`--constraint`); none, every container passes. */
  readonly constraints: readonly ContainerConstraint[];
  /**
   * What `domains` may claim (`--allowed-domains`): empty, any exact name and no wildcard;
   * else only names under one of these: `*.example.com` (names under example.com, wildcards
   * among them), `shop.test` (that name), `*` (anything, `*` itself included).
   */
  readonly allowedDomains: readonly string[];
  /**
   * The hosts outside the stack an auth URL may name (`--auth-hosts`), in `allowedDomains`'
   * words; empty (the default), none.
   */
  readonly authHosts: readonly string[];
  /** The ports `tcp_port` may open on Envoy (`--tcp-port-range`). */
  readonly tcpPorts: { readonly min: number; readonly max: number };
  /** Whether the endpoints' certificates can be verified (`--upstream-ca`). */
  readonly upstreamCa?: boolean;
}

/** Every container labelled is served; exact domains only; TCP listeners above the privileged ports. */
export const DEFAULT_SERVING_POLICY: ServingPolicy = {
  exposedByDefault: true,
  constraints: [],
  allowedDomains: [],
  authHosts: [],
  tcpPorts: { min: 1024, max: 65535 },
};

/**
 * What a container's labels ask for that the policy does not allow, one problem per label:
 * a wildcard (or a name outside `allowedDomains`) in `domains`, a `tcp_port` outside the
 * range, TLS to endpoints that cannot be verified and is not said to be unverified, an auth
 * host outside the stack that is not in `authHosts` or cannot be verified, a JWT issuer
 * without its keys or keys without their issuer. Pure.
 */
export function findPolicyProblems(
  bindings: readonly ServiceBinding[],
  policy: ServingPolicy,
  prefix: string,
): string[] {
  const problems: string[] = [];
  for (const binding of bindings) {
    const options = binding.serviceOptions;
    const refused = (options?.domains ?? []).filter(
      (domain) => !isAllowedDomain(domain, policy.allowedDomains),
    );
    if (refused.length > 0) {
      problems.push(
        policy.allowedDomains.length === 0
          ? `${prefix}.domains of ${binding.cluster}: ${refused.join(', ')}: a wildcard claims every host no other service holds; allow it with --allowed-domains (e.g. *.example.com)`
          : `${prefix}.domains of ${binding.cluster}: ${refused.join(', ')}: not under --allowed-domains (${policy.allowedDomains.join(', ')})`,
      );
    }
    const names = (options?.tcp_sni ?? []).filter(
      (name) => !isAllowedDomain(name, policy.allowedDomains),
    );
    if (names.length > 0) {
      problems.push(
        `${prefix}.tcp_sni of ${binding.cluster}: ${names.join(', ')}: ${policy.allowedDomains.length === 0 ? 'a wildcard takes every name under it; allow it with --allowed-domains' : `not under --allowed-domains (${policy.allowedDomains.join(', ')})`}`,
      );
    }
    const port = options?.tcp_port;
    const { min, max } = policy.tcpPorts;
    if (port !== undefined && (port < min || port > max)) {
      problems.push(
        `${prefix}.tcp_port of ${binding.cluster}: ${port} is outside --tcp-port-range ${min}-${max} (Envoy's own listeners and admin must never be taken by a label)`,
      );
    }
    if (
      options?.protocol === 'https' &&
      options['tls.upstream_verify'] !== false &&
      policy.upstreamCa !== true
    ) {
      problems.push(
        `${prefix}.protocol of ${binding.cluster}: https needs --upstream-ca to verify the endpoints' certificates (or ${prefix}.tls.upstream_verify=false to take them unverified)`,
      );
    }
    for (const key of ['auth.forward', 'auth.jwt.jwks'] as const) {
      const url = options?.[key];
      if (url?.kind !== 'outside') continue;
      if (policy.authHosts.length === 0 || !isAllowedDomain(url.host, policy.authHosts))
        problems.push(
          `${prefix}.${key} of ${binding.cluster}: ${url.host} is outside the stack and not in --auth-hosts${policy.authHosts.length === 0 ? '' : ` (${policy.authHosts.join(', ')})`}: a label makes Envoy reach only the hosts the operator lists`,
        );
      else if (policy.upstreamCa !== true)
        problems.push(
          `${prefix}.${key} of ${binding.cluster}: a host outside the stack is reached over TLS verified against --upstream-ca, and there is none (give the CA bundle that signed its certificate, e.g. /etc/ssl/certs/ca-certificates.crt)`,
        );
    }
    const jwt = [options?.['auth.jwt.issuer'], options?.['auth.jwt.jwks']];
    if (jwt.some((value) => value === undefined) && jwt.some((value) => value !== undefined)) {
      problems.push(
        `${prefix}.auth.jwt of ${binding.cluster}: ${prefix}.auth.jwt.issuer and ${prefix}.auth.jwt.jwks go together: one without the other cannot check a token, and the service is not served open instead`,
      );
    }
  }
  return problems;
}

/** Whether a label may claim `domain` (see `ServingPolicy.allowedDomains`). */
export function isAllowedDomain(domain: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return !domain.includes('*');
  return allowed.some((entry) => {
    if (entry === '*') return true;
    if (entry.startsWith('*.')) return domain.endsWith(entry.slice(1)) && domain !== entry.slice(1);
    return domain === entry;
  });
}
