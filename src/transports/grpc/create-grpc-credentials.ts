import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

import * as grpc from '@grpc/grpc-js';
import { experimental } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { fail, ok, type Result } from '../../core/result.js';
import { watchCertificateFiles } from './watch-certificate-files.js';

/** The xDS server's TLS (`--grpc-tls-cert`, `--grpc-tls-key`, `--grpc-client-ca`). */
export interface GrpcTlsFiles {
  readonly cert: string;
  readonly key: string;
  /** With a CA, every client must show a certificate it signed (mTLS). */
  readonly clientCa: string | undefined;
}

/** How often the files are read again, so that certificates rotated on disk are served. */
export const CERTIFICATE_REFRESH_MS = 1000;

/** Credentials to listen with, and how to stop watching their files. */
export interface GrpcCredentials {
  readonly credentials: grpc.ServerCredentials;
  stop(): void;
}

/**
 * The credentials the xDS server listens with: plaintext without `tls`; else TLS with the
 * certificate and key, watched so that a certificate rotated on disk is served to new
 * connections with no restart (connections already open keep theirs), and, with a client
 * CA, mutual TLS: a client without a certificate that CA signed is refused in the handshake.
 * The files are checked now: unreadable ones, or a key that is not the certificate's, fail
 * the start with one problem each.
 */
export function createGrpcCredentials(
  tls: GrpcTlsFiles | undefined,
  logger: Logger,
  refreshMs = CERTIFICATE_REFRESH_MS,
): Result<GrpcCredentials> {
  if (tls === undefined)
    return ok({ credentials: grpc.ServerCredentials.createInsecure(), stop: () => undefined });
  const read = readFiles(tls);
  if (!read.ok) return read;
  const { cert, key, ca } = read.value;
  const identity = watchCertificateFiles(
    { kind: 'identity', cert: tls.cert, key: tls.key },
    [cert, key],
    logger,
    refreshMs,
  );
  const authority =
    tls.clientCa === undefined || ca === undefined
      ? null
      : watchCertificateFiles({ kind: 'ca', ca: tls.clientCa }, [ca], logger, refreshMs);
  return ok({
    // grpc-js 1.14 names this function's parameters (ca, identity) but hands them on, in that
    // order, to a constructor that takes (identity, ca): the identity goes first.
    credentials: experimental.createCertificateProviderServerCredentials(
      identity,
      authority,
      authority !== null,
    ),
    stop() {
      identity.stop();
      authority?.stop();
    },
  });
}

/** The files, each readable, the key the certificate's and the CA one. */
function readFiles(tls: GrpcTlsFiles): Result<{ cert: Buffer; key: Buffer; ca?: Buffer }> {
  const problems: string[] = [];
  const read = (path: string, flag: string): Buffer | undefined => {
    try {
      return readFileSync(path);
    } catch (error) {
      problems.push(`${flag}: cannot read ${path}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const cert = read(tls.cert, '--grpc-tls-cert');
  const key = read(tls.key, '--grpc-tls-key');
  const ca = tls.clientCa === undefined ? undefined : read(tls.clientCa, '--grpc-client-ca');
  if (cert === undefined || key === undefined || problems.length > 0) return fail(problems);
  try {
    createSecureContext({ cert, key, ...(ca === undefined ? {} : { ca }) });
  } catch (error) {
    return fail([
      `--grpc-tls-cert, --grpc-tls-key, --grpc-client-ca: ${tls.cert}, ${tls.key} are not a certificate and its key, or the CA is not one (${(error as Error).message})`,
    ]);
  }
  return ok({ cert, key, ...(ca === undefined ? {} : { ca }) });
}
