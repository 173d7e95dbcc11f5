/** Where one of the front door's listeners binds, in Envoy (`--listen`). */
export interface ListenAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * The agent's own listeners for Envoy (`--listen http=…,https=…`): plain HTTP, HTTPS, or both.
 * Absent (the default), the agent serves no listener of its own and Envoy's are hand-written.
 */
export interface FrontDoorSettings {
  readonly http?: ListenAddress;
  readonly https?: ListenAddress;
  /**
   * Proxies in front of Envoy whose `X-Forwarded-For` entries are trusted (`--trusted-hops`):
   * the client's address is the one this many entries from the right. None: Envoy's peer.
   */
  readonly trustedHops?: number;
  /** Every connection starts with a PROXY protocol header, v1 or v2 (`--proxy-protocol`). */
  readonly proxyProtocol?: boolean;
  /**
   * The CA (PEM) that an auth host outside the stack (`https://…` in `eds.auth.forward` or
   * `eds.auth.jwt.jwks`) must chain to: `--upstream-ca`. None: no outside host is reached.
   */
  readonly upstreamCa?: string;
}

/** The front door's listener names (LDS); no service's listener holds a `front/` prefix. */
export const FRONT_HTTP_LISTENER = 'front/http';
export const FRONT_HTTPS_LISTENER = 'front/https';

/**
 * The route configuration of the plain HTTP listener (RDS): the agent's, with the domains
 * served over HTTPS redirected. No `--route-config-name` holds a `/`.
 */
export const FRONT_HTTP_ROUTES = 'front/http';

/** The name of the SDS `Secret` holding a domain's certificate and key: `tls/<domain>`. */
export function toSecretName(domain: string): string {
  return `tls/${domain}`;
}
