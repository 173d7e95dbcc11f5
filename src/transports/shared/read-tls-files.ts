import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

import type { TlsFiles, TlsFlagNames } from '../../config/tls-files.js';
import { fail, ok, type Result } from '../../core/result.js';

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
