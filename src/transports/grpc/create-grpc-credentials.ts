import * as grpc from '@grpc/grpc-js';
import { experimental } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { GRPC_TLS_FLAGS, type TlsFiles } from '../../config/tls-files.js';
import { ok, type Result } from '../../core/result.js';
import { CERTIFICATE_REFRESH_MS, readTlsFiles } from '../shared/read-tls-files.js';
import { watchCertificateFiles } from '../shared/watch-certificate-files.js';

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
  tls: TlsFiles | undefined,
  logger: Logger,
  refreshMs = CERTIFICATE_REFRESH_MS,
): Result<GrpcCredentials> {
  if (tls === undefined)
    return ok({ credentials: grpc.ServerCredentials.createInsecure(), stop: () => undefined });
  const read = readTlsFiles(tls, GRPC_TLS_FLAGS);
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
