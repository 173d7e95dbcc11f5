import { fail, ok, type Result } from '../core/result.js';

/** A server's TLS files: its certificate and key, and the CA its clients must show (mTLS). */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  /** With a CA, every client must show a certificate it signed (mutual TLS). */
  readonly clientCa: string | undefined;
}

/** The flags that named each file, for the problems. */
export interface TlsFlagNames {
  readonly cert: string;
  readonly key: string;
  readonly clientCa: string;
}

/** The flags of the xDS server's TLS. */
export const GRPC_TLS_FLAGS: TlsFlagNames = {
  cert: '--grpc-tls-cert',
  key: '--grpc-tls-key',
  clientCa: '--grpc-client-ca',
};

/** The flags of the HTTP server's TLS. */
export const HTTP_TLS_FLAGS: TlsFlagNames = {
  cert: '--http-tls-cert',
  key: '--http-tls-key',
  clientCa: '--http-client-ca',
};

/**
 * The TLS files of one server from its three flags: a certificate and its key together, a
 * client CA only with them; none, `undefined`.
 */
export function pairTlsFlags(
  cert: string | undefined,
  key: string | undefined,
  clientCa: string | undefined,
  flags: TlsFlagNames,
): Result<TlsFiles | undefined> {
  if (cert === undefined && key === undefined) {
    return clientCa === undefined
      ? ok(undefined)
      : fail([
          `${flags.clientCa}: mutual TLS needs the server's own ${flags.cert} and ${flags.key}`,
        ]);
  }
  if (cert === undefined || key === undefined)
    return fail([`${flags.cert}, ${flags.key}: give both, the certificate and its key`]);
  return ok({ cert, key, clientCa });
}

/** What a server's TLS is, for the start-up log: `off`, `tls` or `mutual`. */
export function describeTls(files: TlsFiles | undefined): 'off' | 'tls' | 'mutual' {
  return files === undefined ? 'off' : files.clientCa === undefined ? 'tls' : 'mutual';
}
