import type { Logger } from 'pino';

import type { DomainCertificate } from '../../core/front-door/build-secret.js';
import type { TlsIssuer } from '../../core/labels/option-values.js';
import type { CertificateFolder } from './certificate-folder.js';
import {
  type IssuedCertificate,
  parseIssuedCertificate,
  renewalTime,
  toCertificateFile,
} from './issued-certificate.js';

/** How long after a first failed issuance the agent tries again; doubled after each, up to an hour. */
const RETRY_MS = 30_000;
const MAX_RETRY_MS = 3_600_000;
/** An ACME CA's rate limit (RFC 8555 `rateLimited`): the next try waits the hour out. */
const RATE_LIMITED = /rateLimited|rate limit|too many/i;

/** A domain whose last issuance failed: why, how many times in a row, and when to try again. */
interface Failure {
  readonly message: string;
  readonly attempts: number;
  readonly nextAt: number;
}

/** The failure after `previous`, for `error`: the wait doubles, and a rate limit waits an hour. */
export function toFailure(previous: Failure | undefined, error: unknown, now: number): Failure {
  const message = error instanceof Error ? error.message : String(error);
  const attempts = (previous?.attempts ?? 0) + 1;
  const backoff = Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** (attempts - 1));
  const wait = RATE_LIMITED.test(message) ? MAX_RETRY_MS : backoff;
  return { message, attempts, nextAt: now + wait };
}
/** While a pass issues many certificates, those issued are served at least this often. */
const SERVE_EVERY_MS = 100;

/** One domain as the snapshot asks for it: its service, and who must sign its certificate. */
export interface WantedDomain {
  readonly service: string;
  readonly issuer: TlsIssuer;
}

/** One domain's certificate, as `/status` shows it. */
export interface CertificateStatus {
  readonly domain: string;
  readonly service: string;
  readonly issuer: TlsIssuer;
  /** ISO times, when a certificate is held. */
  readonly notAfter: string | null;
  readonly renewAt: string | null;
  /** The last failure to issue it, while it lasts. */
  readonly error: string | null;
  /** After a failure: how many in a row, and when the next try is. */
  readonly failures: number;
  readonly nextAttempt: string | null;
}

/** Where the certificates of one kind of issuer come from. */
export interface Issuer {
  /** A certificate for `domain`, valid now; rejects when there is none to be had. */
  readonly issue: (domain: string) => Promise<IssuedCertificate>;
  /**
   * Whether what it gives is kept in the store and shared by the agents on it (a CA's, an ACME
   * order's), rather than read again from where it is (a file's).
   */
  readonly kept: boolean;
}

/** Keeps a valid certificate for each wanted domain; see `createCertificateKeeper`. */
export interface CertificateKeeper {
  /** From now on, these domains (and no others) are kept. */
  want(domains: ReadonlyMap<string, WantedDomain>): void;
  /** Asks `issuer` again for every certificate it gave (its files changed). */
  reload(issuer: TlsIssuer): void;
  status(): CertificateStatus[];
  /** Issuances tried since start, by issuer and outcome. */
  issuances(): { issuer: TlsIssuer; outcome: 'issued' | 'failed'; count: number }[];
  /** Resolves when no pass is running. */
  settled(): Promise<void>;
  stop(): void;
}

export interface KeeperParts {
  readonly issuers: Readonly<Record<TlsIssuer, Issuer>>;
  /** Where certificates are kept and shared; in memory when absent. */
  readonly folder: CertificateFolder | undefined;
  /** Called with every certificate to serve, after each change of them. */
  readonly serve: (certificates: readonly DomainCertificate[]) => void;
  readonly logger: Logger;
}

/**
 * Keeps a valid certificate for each wanted domain: read from the folder when one there is
 * valid and not due, else issued (holding the folder's lock, so agents sharing it issue once)
 * and written there before it is served. Each is renewed after two thirds of its lifetime; a
 * renewal that fails keeps the last certificate served until it expires, logs an error, and is
 * tried again every 30 s. A domain no longer wanted stops being served (its files stay). One
 * pass at a time; a change of the wanted domains during one runs another after it.
 */
export function createCertificateKeeper(parts: KeeperParts): CertificateKeeper {
  const { folder, logger } = parts;
  const held = new Map<string, IssuedCertificate>();
  const failures = new Map<string, Failure>();
  const tally = createTally();
  let wanted = new Map<string, WantedDomain>();
  let pass: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const serve = () => {
    parts.serve([...wanted.keys()].flatMap((domain) => held.get(domain) ?? []));
  };
  const readStored = (domain: string, issuer: TlsIssuer) => readKept(folder, domain, issuer);

  /** A certificate for `domain` that need not be renewed yet: held, stored, or issued now. */
  const ensure = async (domain: string, { issuer, service }: WantedDomain) => {
    if (!due(held.get(domain), issuer, Date.now())) return;
    // Failed lately: not before its next attempt (a CA's limits count failures).
    if ((failures.get(domain)?.nextAt ?? 0) > Date.now()) return;
    const stored =
      held.has(domain) || !parts.issuers[issuer].kept
        ? undefined
        : await readStored(domain, issuer);
    try {
      const got = stored
        ? { certificate: stored, issued: false }
        : await issueShared(parts, domain, issuer);
      held.set(domain, got.certificate);
      if (got.issued) tally.count(issuer, 'issued');
      failures.delete(domain);
    } catch (error) {
      tally.count(issuer, 'failed');
      failures.set(domain, toFailure(failures.get(domain), error, Date.now()));
      logFailure(logger, { domain, service, issuer }, held.get(domain), error);
    }
  };

  const runPass = async () => {
    let lastServed = Date.now();
    for (const [domain, want] of wanted) {
      if (stopped) return;
      await ensure(domain, want);
      if (Date.now() - lastServed >= SERVE_EVERY_MS) {
        serve();
        lastServed = Date.now();
      }
    }
    const now = Date.now();
    for (const [domain, certificate] of held)
      if (!wanted.has(domain) || certificate.notAfter <= now) held.delete(domain);
    for (const domain of failures.keys()) if (!wanted.has(domain)) failures.delete(domain);
    serve();
    schedule();
  };

  /** The next look: the earliest renewal, or a retry after a failure. */
  const schedule = () => {
    clearTimeout(timer);
    const next = nextLook(wanted.keys(), held, failures);
    if (stopped || next === undefined) return;
    timer = setTimeout(look, Math.max(0, next - Date.now()));
    timer.unref();
  };

  function look(): void {
    if (pass) {
      again = true;
      return;
    }
    const passAgain = () => again && !stopped;
    pass = (async () => {
      do {
        again = false;
        await runPass();
      } while (passAgain());
    })()
      .catch((error: unknown) => {
        logger.error({ err: error }, 'certificate pass failed');
      })
      .finally(() => {
        pass = undefined;
      });
  }

  return {
    want(domains) {
      const same = sameWanted(domains, wanted);
      wanted = new Map(domains);
      if (!same) look();
    },
    reload(issuer) {
      for (const [domain, certificate] of held)
        if (certificate.issuer === issuer) held.delete(domain);
      for (const [domain, want] of wanted) if (want.issuer === issuer) failures.delete(domain);
      look();
    },
    status: () =>
      [...wanted].map(([domain, want]) =>
        toCertificateStatus(domain, want, held.get(domain), failures.get(domain)),
      ),
    issuances: tally.list,
    async settled() {
      await pass;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function toCertificateStatus(
  domain: string,
  { service, issuer }: WantedDomain,
  certificate: IssuedCertificate | undefined,
  failure: Failure | undefined,
): CertificateStatus {
  return {
    domain,
    service,
    issuer,
    notAfter: certificate ? new Date(certificate.notAfter).toISOString() : null,
    renewAt: certificate ? new Date(renewalTime(certificate)).toISOString() : null,
    error: failure?.message ?? null,
    failures: failure?.attempts ?? 0,
    nextAttempt: failure ? new Date(failure.nextAt).toISOString() : null,
  };
}

/** Whether `certificate` must be replaced: none, another issuer's, or due for renewal. */
function due(certificate: IssuedCertificate | undefined, issuer: TlsIssuer, now: number): boolean {
  return (
    certificate === undefined || certificate.issuer !== issuer || now >= renewalTime(certificate)
  );
}

/** The certificate of `domain` kept in `folder`, when there is one that is not due. */
async function readKept(
  folder: CertificateFolder | undefined,
  domain: string,
  issuer: TlsIssuer,
): Promise<IssuedCertificate | undefined> {
  const text = await folder?.read(toCertificateFile(domain));
  const stored = text === undefined ? undefined : parseIssuedCertificate(text);
  return stored?.domain === domain && !due(stored, issuer, Date.now()) ? stored : undefined;
}

/** When to look again: the earliest renewal of `domains`, or retry after a failure; none: never. */
function nextLook(
  domains: Iterable<string>,
  held: ReadonlyMap<string, IssuedCertificate>,
  failures: ReadonlyMap<string, Failure>,
): number | undefined {
  let next = Number.POSITIVE_INFINITY;
  for (const domain of domains) {
    const certificate = held.get(domain);
    const failure = failures.get(domain);
    // Failing: the next try, or the expiry of the certificate still served, if sooner.
    if (failure) next = Math.min(next, failure.nextAt, certificate?.notAfter ?? Infinity);
    else if (certificate) next = Math.min(next, renewalTime(certificate));
  }
  return next === Number.POSITIVE_INFINITY ? undefined : next;
}

/** Says, loudly, that a domain has no fresh certificate, and what is served meanwhile. */
function logFailure(
  logger: Logger,
  { domain, service, issuer }: WantedDomain & { domain: string },
  last: IssuedCertificate | undefined,
  error: unknown,
): void {
  logger.error(
    {
      domain,
      cluster: service,
      issuer,
      err: error,
      servingUntil: last ? new Date(last.notAfter).toISOString() : null,
    },
    last
      ? 'certificate renewal failed: the last certificate is served until it expires'
      : 'certificate could not be issued: the domain stays on plain HTTP',
  );
}

/** Whether two sets of wanted domains ask for the same domains of the same issuers. */
function sameWanted(
  a: ReadonlyMap<string, WantedDomain>,
  b: ReadonlyMap<string, WantedDomain>,
): boolean {
  return (
    a.size === b.size && [...a].every(([domain, want]) => b.get(domain)?.issuer === want.issuer)
  );
}

type Outcome = 'issued' | 'failed';

/** Issuances counted by issuer and outcome, since start. */
function createTally() {
  const counts = new Map<string, { issuer: TlsIssuer; outcome: Outcome; count: number }>();
  return {
    count: (issuer: TlsIssuer, outcome: Outcome): void => {
      const key = `${issuer} ${outcome}`;
      const entry = counts.get(key) ?? { issuer, outcome, count: 0 };
      counts.set(key, { ...entry, count: entry.count + 1 });
    },
    list: () => [...counts.values()],
  };
}

/**
 * A certificate from `issuer`: one it keeps in the folder is issued holding the folder's lock,
 * unless another agent sharing the folder issued it while this one waited; it is written there
 * before it is served.
 */
async function issueShared(
  { folder, issuers }: KeeperParts,
  domain: string,
  issuer: TlsIssuer,
): Promise<{ certificate: IssuedCertificate; issued: boolean }> {
  const { issue, kept } = issuers[issuer];
  if (!folder || !kept) return { certificate: await issue(domain), issued: true };
  return folder.withLock(async () => {
    const stored = await readKept(folder, domain, issuer);
    if (stored) return { certificate: stored, issued: false };
    const fresh = await issue(domain);
    await folder.write(toCertificateFile(domain), `${JSON.stringify(fresh, null, 2)}\n`);
    return { certificate: fresh, issued: true };
  });
}
