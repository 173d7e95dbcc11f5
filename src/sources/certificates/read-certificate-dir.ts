import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { IssuedCertificate } from './issued-certificate.js';

/** A certificate of the folder, with the names it covers. */
interface FileCertificate {
  readonly file: string;
  readonly names: readonly string[];
  readonly certificateChain: string;
  readonly privateKey: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** What a read of `--tls-cert-dir` found: its certificates, and the files it had to leave. */
export interface CertificateDir {
  /** What the folder held (names, sizes, times): a change of it is a change of the folder. */
  readonly fingerprint: string;
  readonly certificates: readonly FileCertificate[];
  /** One line per file that is not a usable certificate, with why. */
  readonly problems: readonly string[];
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;

/**
 * What the folder holds: a fingerprint of its listing, cheap enough to take every few seconds,
 * and which tells whether it must be read again.
 */
export async function fingerprintCertificateDir(path: string): Promise<string> {
  const names = (await readdir(path)).sort();
  const parts = await Promise.all(
    names.map(async (name) => {
      const info = await stat(join(path, name)).catch(() => undefined);
      return `${name}:${info?.size ?? '-'}:${info?.mtimeMs ?? '-'}`;
    }),
  );
  return parts.join('\n');
}

/**
 * Reads the certificates of a folder of PEM files (`--tls-cert-dir`), as certbot, mkcert or a
 * Kubernetes secret lays them out: a `<name>.crt`/`<name>.pem` (the leaf first, then its
 * chain) with its key in `<name>.key`, or the key after the chain in the same file. Each is
 * matched to domains by its subject alternative names. A file whose key is not the
 * certificate's own, or that does not parse, is left with a problem (never half-served).
 */
export async function readCertificateDir(path: string): Promise<CertificateDir> {
  const fingerprint = await fingerprintCertificateDir(path);
  const names = (await readdir(path)).filter((name) => /\.(crt|pem|cer)$/.test(name)).sort();
  const certificates: FileCertificate[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const text = await readFile(join(path, name), 'utf8').catch(() => '');
    const blocks = [...text.matchAll(PEM_BLOCK)];
    const chain = blocks.filter((block) => block[1] === 'CERTIFICATE').map((block) => block[0]);
    if (chain.length === 0) continue;
    const keyBlock = blocks.find((block) => block[1]?.endsWith('PRIVATE KEY'))?.[0];
    const keyFile = join(path, name.replace(/\.(crt|pem|cer)$/, '.key'));
    const key = keyBlock ?? (await readFile(keyFile, 'utf8').catch(() => undefined));
    const problem = (why: string) => problems.push(`${join(path, name)}: ${why}`);
    if (key === undefined) {
      problem(`no private key in it, nor in ${keyFile}`);
      continue;
    }
    try {
      const leaf = new X509Certificate(chain[0] ?? '');
      if (!leaf.checkPrivateKey(createPrivateKey(key))) {
        problem('its private key is not the certificate’s own');
        continue;
      }
      certificates.push({
        file: join(path, name),
        names: toDnsNames(leaf.subjectAltName),
        certificateChain: `${chain.join('\n')}\n`,
        privateKey: key.endsWith('\n') ? key : `${key}\n`,
        notBefore: Date.parse(leaf.validFrom),
        notAfter: Date.parse(leaf.validTo),
      });
    } catch (error) {
      problem(`not a certificate and key Node can read (${(error as Error).message})`);
    }
  }
  return { fingerprint, certificates, problems };
}

/** `DNS:a.test, DNS:*.b.test, IP Address:…` → `['a.test', '*.b.test']`, lower-cased. */
function toDnsNames(subjectAltName: string | undefined): string[] {
  return (subjectAltName ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
}

/** Whether a certificate naming `name` (maybe `*.b.test`) covers `domain`. */
function covers(name: string, domain: string): boolean {
  if (name === domain) return true;
  if (!name.startsWith('*.')) return false;
  const dot = domain.indexOf('.');
  return dot > 0 && !domain.startsWith('*') && domain.slice(dot) === name.slice(1);
}

/**
 * The folder's certificate for `domain`: of those whose names cover it (exactly, or a
 * wildcard one label deep), the one valid now that expires last. Undefined when none is.
 */
export function findFileCertificate(
  dir: CertificateDir,
  domain: string,
  now = Date.now(),
): IssuedCertificate | undefined {
  const best = dir.certificates
    .filter((certificate) => certificate.names.some((name) => covers(name, domain)))
    .filter((certificate) => certificate.notBefore <= now && now < certificate.notAfter)
    .sort((a, b) => b.notAfter - a.notAfter)[0];
  return (
    best && {
      domain,
      issuer: 'file',
      certificateChain: best.certificateChain,
      privateKey: best.privateKey,
      notBefore: best.notBefore,
      notAfter: best.notAfter,
      // Never renewed by the clock: a new file is read when the folder changes.
      renewAt: best.notAfter,
    }
  );
}
