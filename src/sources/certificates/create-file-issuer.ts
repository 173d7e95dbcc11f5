import type { Logger } from 'pino';

import type { Issuer } from './keep-certificates.js';
import {
  type CertificateDir,
  findFileCertificate,
  fingerprintCertificateDir,
  readCertificateDir,
} from './read-certificate-dir.js';

/** How often the folder is looked at for a change. */
export const CERT_DIR_POLL_MS = 2000;

/** The `file` issuer, and the end of its watch. */
export interface FileIssuer extends Issuer {
  stop(): void;
}

/**
 * The `file` issuer: certificates from the folder `path` (`--tls-cert-dir`), matched to a
 * domain by their names, looked at every 2 s and read again when it changed, after which
 * `changed` is called (the keeper asks again for every file certificate). A file left unusable
 * is logged once per content. With no folder, every domain is refused with the flag to set.
 */
export function createFileIssuer(
  path: string | undefined,
  logger: Logger,
  changed: () => void,
): FileIssuer {
  if (path === undefined)
    return {
      kept: false,
      issue: () =>
        Promise.reject(new Error('eds.tls.issuer=file needs --tls-cert-dir, the folder to read')),
      stop: () => undefined,
    };
  let current: Promise<CertificateDir> | undefined;
  const reported = new Set<string>();
  const read = () =>
    (current = readCertificateDir(path).then((dir) => {
      for (const problem of dir.problems) {
        if (reported.has(problem)) continue;
        reported.add(problem);
        logger.warn({ dir: path }, `certificate file left unused: ${problem}`);
      }
      return dir;
    }));
  const timer = setInterval(() => {
    void (async () => {
      const seen = await current?.catch(() => undefined);
      const now = await fingerprintCertificateDir(path).catch(() => '');
      if (seen?.fingerprint === now) return;
      await read().catch(() => undefined);
      changed();
    })();
  }, CERT_DIR_POLL_MS);
  timer.unref();
  return {
    kept: false,
    async issue(domain) {
      const dir = await (current ?? read());
      const found = findFileCertificate(dir, domain);
      if (!found) throw new Error(`no valid certificate for ${domain} in ${path}`);
      return found;
    },
    stop: () => {
      clearInterval(timer);
    },
  };
}
