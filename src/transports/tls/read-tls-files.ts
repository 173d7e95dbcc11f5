import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

import { fail, ok, type Result } from '../../core/result.js';

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

/** The files' content, checked: the key is the certificate's, the CA parses. */
export interface TlsContent {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

/** How often TLS files are read again, so that certificates rotated on disk are served. */
export const CERTIFICATE_REFRESH_MS = 1000;

/**
 * Reads `files` now: one problem per unreadable file, or one if the key is not the
 * certificate's or the CA not a CA, each naming its flag.
 */
export function readTlsFiles(files: TlsFiles, flags: TlsFlagNames): Result<TlsContent> {
  const problems: string[] = [];
  const read = (path: string, flag: string): Buffer | undefined => {
    try {
      return readFileSync(path);
    } catch (error) {
      problems.push(`${flag}: cannot read ${path}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const cert = read(files.cert, flags.cert);
  const key = read(files.key, flags.key);
  const ca = files.clientCa === undefined ? undefined : read(files.clientCa, flags.clientCa);
  if (cert === undefined || key === undefined || problems.length > 0) return fail(problems);
  try {
    createSecureContext({ cert, key, ...(ca === undefined ? {} : { ca }) });
  } catch (error) {
    return fail([
      `${flags.cert}, ${flags.key}, ${flags.clientCa}: ${files.cert}, ${files.key} are not a certificate and its key, or the CA is not one (${(error as Error).message})`,
    ]);
  }
  return ok({ cert, key, ...(ca === undefined ? {} : { ca }) });
}

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
