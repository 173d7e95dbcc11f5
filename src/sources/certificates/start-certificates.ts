import type { Logger } from 'pino';

import { chooseIssuer, type DefaultIssuer } from '../../core/front-door/choose-issuer.js';
import type { FrontDoorResources } from '../../core/index/front-door-resources.js';
import type { SnapshotStore } from '../../snapshot-store.js';
import { type CertificateFolder, openCertificateFolder } from './certificate-folder.js';
import {
  type AcmeAccountSettings,
  type ChallengeAnswerer,
  createAcmeIssuer,
} from './create-acme-issuer.js';
import { createFileIssuer } from './create-file-issuer.js';
import { loadInternalCa } from './internal-ca.js';
import {
  type CertificateKeeper,
  type CertificateStatus,
  createCertificateKeeper,
  type Issuer,
  type WantedDomain,
} from './keep-certificates.js';

/** The certificates of the services labelled `eds.tls=true`, kept issued and renewed. */
export interface Certificates {
  /** The internal CA's root certificate (PEM). */
  readonly rootPem: string;
  /** Where they are kept; undefined: in memory. */
  readonly storePath: string | undefined;
  status(): CertificateStatus[];
  /** Issuances tried since start, by issuer and outcome. */
  issuances(): ReturnType<CertificateKeeper['issuances']>;
  /** Resolves when what the snapshot asks for now has been issued or has failed. */
  settled(): Promise<void>;
  stop(): void;
}

export interface CertificateOptions {
  readonly store: SnapshotStore;
  readonly logger: Logger;
  /** The issuer of a service that names none (`--tls-issuer`). */
  readonly issuer: DefaultIssuer;
  /** The ACME account (`--acme-*`); undefined: none. */
  readonly acme: AcmeAccountSettings | undefined;
  /**
   * Resolves true once every Envoy holding the front door's HTTP routes has ACKed a version
   * sent at `since` or later; false when none holds them, or after a while.
   */
  readonly httpRoutesAcked: (since: number) => Promise<boolean>;
  /** The folder they are kept in (`--tls-store`); in memory when absent. */
  readonly storePath: string | undefined;
  /** The lifetime of an internal certificate (`--tls-lifetime`). */
  readonly lifetimeMs: number;
  /** The folder the `file` issuer reads (`--tls-cert-dir`). */
  readonly certDir: string | undefined;
}

/**
 * Follows the snapshot's TLS domains (`eds.tls=true`, on the front door's HTTPS listener) and
 * keeps a certificate for each, served over SDS (see `createCertificateKeeper`). The internal
 * CA is read from the store, or made there, before this resolves. A domain no certificate can
 * name (`*`, `api.*`, an IP address) is warned about once.
 */
export async function startCertificates(options: CertificateOptions): Promise<Certificates> {
  const { store, logger } = options;
  const folder: CertificateFolder | undefined =
    options.storePath === undefined ? undefined : await openCertificateFolder(options.storePath);
  if (folder === undefined)
    logger.warn(
      'no --tls-store (nor --state-file): the CA and certificates live in memory, and a restart makes new ones',
    );
  const ca = await loadInternalCa(folder);
  const files = createFileIssuer(options.certDir, logger, () => {
    keeper.reload('file');
  });
  const acmeIssuer: Issuer = options.acme
    ? createAcmeIssuer(options.acme, folder, createChallengeAnswerer(options), logger)
    : {
        kept: true,
        issue: () =>
          Promise.reject(new Error('eds.tls.issuer=acme needs an ACME account: set --acme-email')),
      };
  const keeper: CertificateKeeper = createCertificateKeeper({
    folder,
    logger,
    serve: (certificates) => {
      store.applyCertificates(certificates);
    },
    issuers: {
      internal: {
        kept: true,
        issue: async (domain) => {
          const issued = await ca.issue(domain, options.lifetimeMs);
          logger.info(
            { domain, issuer: 'internal', notAfter: new Date(issued.notAfter).toISOString() },
            'certificate issued',
          );
          return issued;
        },
      },
      acme: acmeIssuer,
      file: files,
    },
  });

  let seen: FrontDoorResources | undefined;
  const warned = new Set<string>();
  const follow = () => {
    const frontDoor = store.current().frontDoor;
    if (frontDoor === seen) return;
    seen = frontDoor;
    const wanted = new Map<string, WantedDomain>();
    if (frontDoor?.settings.https)
      for (const [domain, { service, issuer }] of frontDoor.tls.domains)
        wanted.set(domain, {
          service,
          issuer: issuer ?? chooseIssuer(domain, options.issuer, options.acme !== undefined),
        });
    for (const { service, domain, reason } of frontDoor?.tls.uncertifiable ?? []) {
      const key = `${service} ${domain}`;
      if (warned.has(key)) continue;
      warned.add(key);
      logger.warn({ cluster: service, domain }, `no certificate for ${domain}: ${reason}`);
    }
    keeper.want(wanted);
  };
  const unsubscribe = store.subscribe(follow);
  follow();

  return {
    rootPem: ca.rootPem,
    storePath: folder?.path,
    status: () => keeper.status(),
    issuances: () => keeper.issuances(),
    settled: () => keeper.settled(),
    stop() {
      files.stop();
      keeper.stop();
      unsubscribe();
    },
  };
}

/**
 * Answers ACME HTTP-01 challenges on the front door's plain HTTP listener: a challenge is
 * answered once every Envoy holding its routes has ACKed the version that answers it, so the
 * CA is told to validate only when Envoy serves the token.
 */
export function createChallengeAnswerer(
  options: Pick<CertificateOptions, 'store' | 'httpRoutesAcked'>,
): ChallengeAnswerer {
  const { store } = options;
  const pending = new Map<string, string>();
  return {
    async answer(token, keyAuthorization) {
      if (!store.current().frontDoor?.settings.http)
        throw new Error('HTTP-01 is answered on the front door: add --listen http=<port>');
      pending.set(token, keyAuthorization);
      const since = Date.now();
      store.applyChallenges(pending);
      if (await options.httpRoutesAcked(since)) return;
      // The order fails here; its answer goes with it.
      pending.delete(token);
      store.applyChallenges(pending);
      throw new Error(
        'no Envoy took the HTTP listener’s routes (front/http) with the challenge in time',
      );
    },
    withdraw(token) {
      pending.delete(token);
      store.applyChallenges(pending);
    },
  };
}
