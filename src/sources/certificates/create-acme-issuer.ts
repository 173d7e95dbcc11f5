import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';

import acme from 'acme-client';
import type { Logger } from 'pino';

import type { CertificateFolder } from './certificate-folder.js';
import type { IssuedCertificate } from './issued-certificate.js';
import type { Issuer } from './keep-certificates.js';

/** The ACME account, as `--acme-*` configure it. */
export interface AcmeAccountSettings {
  readonly directoryUrl: string;
  readonly email: string;
  readonly eab: { readonly kid: string; readonly hmacKey: string } | undefined;
  readonly caFile: string | undefined;
}

/**
 * Answers HTTP-01 challenges: `answer` resolves once Envoy serves the key authorization at
 * `/.well-known/acme-challenge/<token>` (rejects when it cannot), `withdraw` stops serving it.
 */
export interface ChallengeAnswerer {
  answer(token: string, keyAuthorization: string): Promise<void>;
  withdraw(token: string): void;
}

/** One ACME account's key and URL, kept in the store. */
interface StoredAccount {
  readonly directoryUrl: string;
  readonly accountKey: string;
  readonly accountUrl: string;
}

/**
 * The `acme` issuer: an RFC 8555 order per domain (acme-client), validated by HTTP-01, whose
 * answer Envoy itself serves on the front door's plain HTTP listener (`challenges`). The account
 * key is made once and kept in the store (per directory), so a restart, or the other agent of a
 * pair, reuses the account. An order that fails rejects, with the CA's problem in the message
 * (the keeper tries again later, longer after a rate limit).
 */
export function createAcmeIssuer(
  settings: AcmeAccountSettings,
  folder: CertificateFolder | undefined,
  challenges: ChallengeAnswerer,
  logger: Logger,
): Issuer {
  let client: Promise<acme.Client> | undefined;
  const accountFile = `acme/${createHash('sha256').update(settings.directoryUrl).digest('hex').slice(0, 16)}.json`;
  const connect = async (): Promise<acme.Client> => {
    if (settings.caFile !== undefined) {
      // acme-client's own HTTP client: trust the private CA besides the system's.
      const ca = await readFile(settings.caFile, 'utf8');
      acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, ca] });
    }
    const load = async (): Promise<StoredAccount> => {
      const text = await folder?.read(accountFile);
      if (text !== undefined) return JSON.parse(text) as StoredAccount;
      const accountKey = (await acme.crypto.createPrivateEcdsaKey()).toString();
      const fresh = new acme.Client({
        directoryUrl: settings.directoryUrl,
        accountKey,
        ...(settings.eab ? { externalAccountBinding: settings.eab } : {}),
      });
      await fresh.createAccount({
        termsOfServiceAgreed: true,
        contact: [`mailto:${settings.email}`],
      });
      const account = {
        directoryUrl: settings.directoryUrl,
        accountKey,
        accountUrl: fresh.getAccountUrl(),
      };
      await folder?.write(accountFile, `${JSON.stringify(account, null, 2)}\n`);
      logger.info(
        { directory: settings.directoryUrl, account: account.accountUrl },
        'ACME account created',
      );
      return account;
    };
    // Taken while the keeper holds the issuing lock: a lock of its own.
    const account = folder ? await folder.withLock(load, 'acme-account') : await load();
    return new acme.Client({
      directoryUrl: settings.directoryUrl,
      accountKey: account.accountKey,
      accountUrl: account.accountUrl,
    });
  };
  return {
    kept: true,
    async issue(domain) {
      client ??= connect().catch((error: unknown) => {
        client = undefined;
        throw error;
      });
      const acmeClient = await client;
      const [privateKey, csr] = await acme.crypto.createCsr(
        { altNames: [domain] },
        await acme.crypto.createPrivateEcdsaKey(),
      );
      logger.info({ domain, directory: settings.directoryUrl }, 'ACME order placed');
      const chain = await acmeClient.auto({
        csr,
        email: settings.email,
        termsOfServiceAgreed: true,
        challengePriority: ['http-01'],
        // The CA checks it; acme-client's own check would resolve the domain from here.
        skipChallengeVerification: true,
        challengeCreateFn: (_authorization, challenge, keyAuthorization) =>
          challenges.answer(challenge.token, keyAuthorization),
        challengeRemoveFn: (_authorization, challenge) => {
          challenges.withdraw(challenge.token);
          return Promise.resolve();
        },
      });
      return toIssued(domain, chain, privateKey.toString());
    },
  };
}

/** The certificate an order gave, with its validity read from the leaf. */
function toIssued(domain: string, chain: string, privateKey: string): IssuedCertificate {
  const leaf = new X509Certificate(chain);
  return {
    domain,
    issuer: 'acme',
    certificateChain: chain.endsWith('\n') ? chain : `${chain}\n`,
    privateKey: privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`,
    notBefore: Date.parse(leaf.validFrom),
    notAfter: Date.parse(leaf.validTo),
  };
}
