import { randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

import type { CertificateFolder } from './certificate-folder.js';
import type { IssuedCertificate } from './issued-certificate.js';
import { x509 } from './x509.js';

/** The agent's own certificate authority: a root, and the intermediate that signs leaves. */
export interface InternalCa {
  /** The root certificate (PEM): what a client trusts (`GET /pki/root.pem`). */
  readonly rootPem: string;
  /** A certificate for `domain`, valid for `lifetimeMs` (from a little before now). */
  issue(domain: string, lifetimeMs: number): Promise<IssuedCertificate>;
}

/** The file the CA is kept in, in the store. */
export const INTERNAL_CA_FILE = 'internal-ca.json';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const YEAR_MS = 365 * 24 * 3_600_000;
/** Leaves are valid from a little before they are made, for clocks slightly behind. */
const BACKDATE_MS = 60_000;

interface KeyPairPem {
  readonly certificate: string;
  readonly privateKey: string;
}

interface StoredCa {
  readonly root: KeyPairPem;
  readonly intermediate: KeyPairPem;
}

/**
 * Loads the CA from `folder`, or makes one (a root valid 10 years, an intermediate valid 5)
 * and writes it there before it signs anything: made once, it survives restarts. With no
 * folder it lives in memory, and each start makes a new one.
 */
export async function loadInternalCa(folder: CertificateFolder | undefined): Promise<InternalCa> {
  const load = async () => {
    const text = await folder?.read(INTERNAL_CA_FILE);
    if (text !== undefined) return JSON.parse(text) as StoredCa;
    const made = await createCa();
    await folder?.write(INTERNAL_CA_FILE, `${JSON.stringify(made, null, 2)}\n`);
    return made;
  };
  // Two agents starting on one empty store make one CA between them.
  const stored = folder ? await folder.withLock(load) : await load();
  const intermediate = new x509.X509Certificate(stored.intermediate.certificate);
  const signingKey = await importPrivateKey(stored.intermediate.privateKey);
  const chainTail = stored.intermediate.certificate.trim();
  return {
    rootPem: stored.root.certificate,
    async issue(domain, lifetimeMs) {
      const keys = await generateKeys();
      // Backdated for clocks slightly behind, by no more than a tenth of the lifetime, so a
      // short-lived certificate is still renewed two thirds into its life.
      const backdate = Math.min(BACKDATE_MS, Math.floor(lifetimeMs / 10));
      const notBefore = Date.now() - backdate;
      const notAfter = notBefore + backdate + lifetimeMs;
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: serialNumber(),
        subject: `CN=${domain}`,
        issuer: intermediate.subject,
        notBefore: new Date(notBefore),
        notAfter: new Date(notAfter),
        signingKey,
        publicKey: keys.publicKey,
        signingAlgorithm: ALGORITHM,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: domain }]),
          await x509.AuthorityKeyIdentifierExtension.create(intermediate),
        ],
      });
      return {
        domain,
        issuer: 'internal',
        certificateChain: `${leaf.toString('pem')}\n${chainTail}\n`,
        privateKey: await exportPrivateKey(keys.privateKey),
        notBefore,
        notAfter,
      };
    },
  };
}

async function createCa(): Promise<StoredCa> {
  const now = Date.now() - BACKDATE_MS;
  const rootKeys = await generateKeys();
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: 'CN=eds-agent local root CA, O=eds-agent',
    notBefore: new Date(now),
    notAfter: new Date(now + 10 * YEAR_MS),
    keys: rootKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const intermediateKeys = await generateKeys();
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: 'CN=eds-agent local intermediate CA, O=eds-agent',
    issuer: root.subject,
    notBefore: new Date(now),
    notAfter: new Date(now + 5 * YEAR_MS),
    signingKey: rootKeys.privateKey,
    publicKey: intermediateKeys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(intermediateKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root),
    ],
  });
  return {
    root: {
      certificate: root.toString('pem'),
      privateKey: await exportPrivateKey(rootKeys.privateKey),
    },
    intermediate: {
      certificate: intermediate.toString('pem'),
      privateKey: await exportPrivateKey(intermediateKeys.privateKey),
    },
  };
}

function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return `${x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY')}\n`;
}

function importPrivateKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decode(pem)[0] as ArrayBuffer,
    ALGORITHM,
    false,
    ['sign'],
  );
}

/** A random positive 16-byte serial number, in hex (RFC 5280 allows up to 20 bytes). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}
