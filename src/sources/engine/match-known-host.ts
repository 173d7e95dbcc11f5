import { createHmac } from 'node:crypto';

/**
 * Whether OpenSSH `known_hosts` text lists `keyBlob` (the host key in SSH wire format, as
 * base64-decoded from a known_hosts line) for `host` on `port`. Understands plain names,
 * patterns (`*`, `?`, `!negated`), `[host]:port` for ports other than 22, and hashed
 * `|1|salt|hash` names. A `@revoked` line for the key refuses it; `@cert-authority` lines
 * (host certificates) are not supported and match nothing.
 */
export function isKnownHostKey(
  knownHosts: string,
  host: string,
  port: number,
  keyBlob: Buffer,
): boolean {
  const name = port === 22 ? host : `[${host}]:${port}`;
  const key = keyBlob.toString('base64');
  let known = false;
  for (const line of knownHosts.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const [first = ''] = fields;
    if (first === '' || first.startsWith('#')) continue;
    const marker = first.startsWith('@') ? fields.shift() : undefined;
    const [hosts, , lineKey] = fields;
    if (hosts === undefined || lineKey !== key || !matchesHosts(hosts, name)) continue;
    if (marker === '@revoked') return false;
    if (marker === undefined) known = true;
  }
  return known;
}

function matchesHosts(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    const negated = pattern.startsWith('!');
    if (!toRegExp(negated ? pattern.slice(1) : pattern).test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function toRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replaceAll('*', '.*').replaceAll('?', '.')}$`, 'i');
}
