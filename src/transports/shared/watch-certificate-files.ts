import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';

import type { experimental } from '@grpc/grpc-js';
import type { Logger } from 'pino';

type CertificateProvider = experimental.CertificateProvider;
type IdentityListener = experimental.IdentityCertificateUpdateListener;
type CaListener = experimental.CaCertificateUpdateListener;

/** The files a provider serves: a certificate and its key, or a CA. */
export type CertificateFiles =
  | { readonly kind: 'identity'; readonly cert: string; readonly key: string }
  | { readonly kind: 'ca'; readonly ca: string };

/** A provider that can be stopped (its timer cleared). */
export interface WatchedCertificates extends CertificateProvider {
  stop(): void;
}

/**
 * A grpc-js certificate provider over files, read every `refreshMs`: listeners hear of a
 * change only when the files' content changed and makes a valid pair (a certificate and
 * the key that is its own, or a CA that parses), so a rotation caught half-written (the new
 * certificate, the old key) keeps the last good pair served until the next read, and
 * nothing is rebuilt while nothing changed. Each refusal is logged once per content.
 * `initial` is the content checked at start, served at once; `server` names the server
 * (`gRPC`, `HTTP`) in the log. The provider's shape is grpc-js's; the HTTP server listens too.
 */
export function watchCertificateFiles(
  files: CertificateFiles,
  initial: readonly Buffer[],
  logger: Logger,
  refreshMs: number,
  server = 'gRPC',
): WatchedCertificates {
  const paths = files.kind === 'identity' ? [files.cert, files.key] : [files.ca];
  let current: readonly Buffer[] = initial;
  let refused = '';
  const identityListeners = new Set<IdentityListener>();
  const caListeners = new Set<CaListener>();
  const tell = () => {
    const [first, second] = current;
    if (first === undefined) return;
    if (files.kind === 'identity' && second !== undefined)
      for (const listener of identityListeners)
        listener({ certificate: first, privateKey: second });
    if (files.kind === 'ca') for (const listener of caListeners) listener({ caCertificate: first });
  };
  const read = async () => {
    let next: Buffer[];
    try {
      next = await Promise.all(paths.map((path) => readFile(path)));
    } catch (error) {
      note(`cannot read ${paths.join(' and ')}: ${(error as Error).message}`);
      return;
    }
    if (next.every((buffer, i) => current[i]?.equals(buffer) === true)) return;
    try {
      createSecureContext(
        files.kind === 'identity' ? { cert: next[0], key: next[1] } : { ca: next[0] },
      );
    } catch (error) {
      note(`${paths.join(' and ')} are not usable yet: ${(error as Error).message}`);
      return;
    }
    current = next;
    refused = '';
    logger.info({ files: paths }, `${server} TLS files changed: new connections get the new ones`);
    tell();
  };
  const note = (why: string) => {
    if (why === refused) return;
    refused = why;
    logger.warn({ files: paths }, `${server} TLS: keeping the last good files: ${why}`);
  };
  const timer = setInterval(() => void read(), refreshMs);
  timer.unref();
  return {
    addIdentityCertificateListener(listener) {
      identityListeners.add(listener);
      process.nextTick(tell);
    },
    removeIdentityCertificateListener(listener) {
      identityListeners.delete(listener);
    },
    addCaCertificateListener(listener) {
      caListeners.add(listener);
      process.nextTick(tell);
    },
    removeCaCertificateListener(listener) {
      caListeners.delete(listener);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
