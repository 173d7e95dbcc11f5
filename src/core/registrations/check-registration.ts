import { type AddressRanges, findRefusedRange } from './address-ranges.js';
import type { RegistrationChange, RegistrationRefusal } from './apply-registration.js';
import { type RegisteredHost, type Registrations, toHostKey } from './registered-host.js';

/** What the registration API accepts beyond well-formed requests (the `--registration-*` flags). */
export interface RegistrationPolicy {
  /** Ranges allowed although refused by default (loopback, link-local, ...): `--registration-allow-cidr`. */
  readonly allowed: AddressRanges;
  /** A registration may join a cluster that Docker labels own: `--registrations-join-docker`. */
  readonly joinDocker: boolean;
  readonly maxServices: number;
  readonly maxHostsPerService: number;
  readonly maxTagsPerHost: number;
  /** Most bytes of one host's tags, as JSON. */
  readonly maxTagBytes: number;
}

/**
 * Checks a change against the policy, given the registrations it would apply to and which
 * clusters Docker's containers serve. Pure. Deletions are never refused; a change that only
 * renews hosts already registered is not refused for a bound it already fits.
 */
export function checkRegistration(
  change: RegistrationChange,
  state: Registrations,
  policy: RegistrationPolicy,
  dockerOwns: (service: string) => boolean,
): RegistrationRefusal | undefined {
  if (change.kind === 'delete' || change.kind === 'delete-host') return undefined;
  const hosts = change.kind === 'put-host' ? [change.host] : change.hosts;
  for (const host of hosts) {
    const refused = checkHost(host, policy);
    if (refused) return refused;
  }
  const current = state.get(change.service);
  if (!policy.joinDocker && current === undefined && dockerOwns(change.service)) {
    return {
      reason: 'docker-owned',
      message: `cluster ${JSON.stringify(change.service)} is served from Docker labels; a registration may not join it (start the agent with --registrations-join-docker to allow it)`,
    };
  }
  if (current === undefined && state.size >= policy.maxServices) {
    return {
      reason: 'over-limit',
      message: `${state.size} services are registered, the most allowed (--registration-max-services)`,
    };
  }
  const count =
    change.kind === 'put-host'
      ? (current?.size ?? 0) + (current?.has(toHostKey(change.host)) === true ? 0 : 1)
      : new Set(hosts.map(toHostKey)).size;
  if (count > policy.maxHostsPerService) {
    return {
      reason: 'over-limit',
      message: `service ${JSON.stringify(change.service)} would have ${count} hosts; at most ${policy.maxHostsPerService} (--registration-max-hosts)`,
    };
  }
  return undefined;
}

function checkHost(
  host: RegisteredHost,
  policy: RegistrationPolicy,
): RegistrationRefusal | undefined {
  const why = findRefusedRange(host.ipAddress, policy.allowed);
  if (why !== undefined) {
    return {
      reason: 'address-refused',
      message: `${toHostKey(host)}: a ${why} address is not a registrable endpoint (Envoy's own admin port is one); allow a range with --registration-allow-cidr`,
    };
  }
  const tags = Object.keys(host.tags).length;
  if (tags > policy.maxTagsPerHost) {
    return {
      reason: 'too-large',
      message: `${toHostKey(host)}: ${tags} tags; at most ${policy.maxTagsPerHost} (--registration-max-tags)`,
    };
  }
  const bytes = Buffer.byteLength(JSON.stringify(host.tags));
  if (bytes > policy.maxTagBytes) {
    return {
      reason: 'too-large',
      message: `${toHostKey(host)}: its tags take ${bytes} bytes as JSON; at most ${policy.maxTagBytes} (--registration-max-tag-bytes)`,
    };
  }
  return undefined;
}

/** The bounds when no flag sets them (documented with the flags). */
export const DEFAULT_REGISTRATION_LIMITS = {
  maxServices: 1000,
  maxHostsPerService: 1000,
  maxTagsPerHost: 32,
  maxTagBytes: 4096,
} as const;
