import { execFileSync } from 'node:child_process';
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files of one party: its certificate, its key, and the CA that signed it. */
export interface CertificateFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A CA and what it signed: a server certificate for 127.0.0.1 and a client certificate. */
export interface TestPki {
  readonly server: CertificateFiles;
  readonly client: CertificateFiles;
}

/**
 * Makes a throwaway CA in `dir` (named `name`) with the `openssl` command, and signs a server
 * certificate valid for `serverNames` (an OpenSSL subjectAltName, 127.0.0.1 by default) and a
 * client certificate. Client files are named as `DOCKER_CERT_PATH` expects them: `ca.pem`,
 * `cert.pem`, `key.pem` in `dir/<name>-client`.
 */
export function makeTestPki(dir: string, name: string, serverNames = 'IP:127.0.0.1'): TestPki {
  const file = (base: string) => join(dir, `${name}-${base}`);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const key = (path: string) => openssl('genrsa', '-out', path, '2048');

  key(file('ca-key.pem'));
  openssl(
    ...['req', '-x509', '-new', '-key', file('ca-key.pem'), '-days', '2'],
    ...['-subj', `/CN=${name} test CA`, '-out', file('ca.pem')],
  );
  const sign = (party: 'server' | 'client', extensions: string): void => {
    key(file(`${party}-key.pem`));
    openssl(
      ...['req', '-new', '-key', file(`${party}-key.pem`)],
      ...['-subj', `/CN=${name} ${party}`, '-out', file(`${party}.csr`)],
    );
    writeFileSync(file(`${party}.ext`), extensions);
    openssl(
      ...['x509', '-req', '-in', file(`${party}.csr`), '-days', '2'],
      ...['-CA', file('ca.pem'), '-CAkey', file('ca-key.pem'), '-CAcreateserial'],
      ...['-extfile', file(`${party}.ext`), '-out', file(`${party}-cert.pem`)],
    );
  };
  sign('server', `subjectAltName = ${serverNames}\nextendedKeyUsage = serverAuth\n`);
  sign('client', 'extendedKeyUsage = clientAuth\n');

  const clientDir = file('client');
  execFileSync('mkdir', ['-p', clientDir]);
  execFileSync('cp', [file('ca.pem'), join(clientDir, 'ca.pem')]);
  execFileSync('cp', [file('client-cert.pem'), join(clientDir, 'cert.pem')]);
  execFileSync('cp', [file('client-key.pem'), join(clientDir, 'key.pem')]);
  return {
    server: { ca: file('ca.pem'), cert: file('server-cert.pem'), key: file('server-key.pem') },
    client: {
      ca: join(clientDir, 'ca.pem'),
      cert: join(clientDir, 'cert.pem'),
      key: join(clientDir, 'key.pem'),
    },
  };
}

/** Re-signs `party`'s certificate (its own new key) by `pki`'s CA, for 127.0.0.1. */
export function signWithCa(dir: string, pki: TestPki, party: { cert: string; key: string }): void {
  const csr = join(dir, 'rotated.csr');
  const ext = join(dir, 'rotated.ext');
  execFileSync('openssl', ['req', '-new', '-key', party.key, '-subj', '/CN=rotated', '-out', csr]);
  execFileSync('sh', ['-c', `printf 'subjectAltName = IP:127.0.0.1\\n' > ${ext}`]);
  execFileSync('openssl', [
    ...['x509', '-req', '-in', csr, '-days', '2', '-CA', pki.server.ca],
    ...['-CAkey', pki.server.ca.replace(/ca\.pem$/, 'ca-key.pem'), '-CAcreateserial'],
    ...['-extfile', ext, '-out', party.cert],
  ]);
}

/** Replaces `target` with a copy of `source` in one rename, as a certificate manager does. */
export function renameOver(source: string, target: string): void {
  copyFileSync(source, `${target}.new`);
  renameSync(`${target}.new`, target);
}

/** A test PKI whose server files the agent serves from copies that a rotation replaces. */
export interface ServedPki {
  readonly pki: TestPki;
  /** Another CA and its parties: a client the agent must refuse. */
  readonly stranger: TestPki;
  /** The files the agent is given; `renameOver` them to rotate. */
  readonly served: { readonly cert: string; readonly key: string };
}

/** Makes `pki`, `stranger` and the served copies of `pki`'s server certificate in `dir`. */
export function makeServedPki(dir: string): ServedPki {
  const pki = makeTestPki(dir, 'agent');
  const stranger = makeTestPki(dir, 'stranger');
  const served = { cert: join(dir, 'served-cert.pem'), key: join(dir, 'served-key.pem') };
  copyFileSync(pki.server.cert, served.cert);
  copyFileSync(pki.server.key, served.key);
  return { pki, stranger, served };
}
