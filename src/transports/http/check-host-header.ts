import { isIP } from 'node:net';

/**
 * A check against DNS rebinding: a web page cannot make a browser send a request to this agent
 * with a `Host` (or `Origin`) that names it, unless that name resolves to it. So the agent
 * answers only requests whose Host and Origin (when sent) name it in a way no web page
 * controls: an IP literal, `localhost` and `*.localhost`, a single-label name (a compose
 * service's, or the cluster name Envoy sends), or a name of `allowed` (`--allowed-hosts`:
 * `eds.example.com`, or `*.example.com` for its subdomains). A request with neither header
 * passes: only a browser is fooled by rebinding, and a browser sends Host.
 */
export function createHostCheck(
  allowed: readonly string[],
): (headers: {
  readonly host?: string | undefined;
  readonly origin?: string | undefined;
}) => string | undefined {
  const names = allowed.map((name) => name.toLowerCase());
  const isAllowed = (hostname: string): boolean => {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    if (isIP(name.replace(/^\[|\]$/g, '')) !== 0) return true;
    if (name === 'localhost' || name.endsWith('.localhost')) return true;
    if (!name.includes('.')) return true;
    return names.some((entry) =>
      entry.startsWith('*.') ? name.endsWith(entry.slice(1)) : name === entry,
    );
  };
  return ({ host, origin }) => {
    if (host !== undefined && !isAllowed(stripPort(host))) return `Host ${JSON.stringify(host)}`;
    if (origin !== undefined && origin !== 'null') {
      let hostname: string;
      try {
        hostname = new URL(origin).hostname;
      } catch {
        return `Origin ${JSON.stringify(origin)}`;
      }
      if (!isAllowed(hostname)) return `Origin ${JSON.stringify(origin)}`;
    }
    return undefined;
  };
}

/** `name:port` → `name`; `[v6]:port` → `[v6]`. */
function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 || host.indexOf(':') !== colon ? host : host.slice(0, colon);
}
