import type { DomainCertificate } from '../../core/front-door/build-secret.js';
import type { TlsIssuer } from '../../core/labels/option-values.js';

/** A certificate the agent holds for one domain: what Envoy is served, and when it expires. */
export interface IssuedCertificate extends DomainCertificate {
  readonly issuer: TlsIssuer;
  /** Milliseconds since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** When to look for a new one, when not two thirds into its life (a file: when it expires). */
  readonly renewAt?: number;
}

/**
 * When a certificate is renewed: after two thirds of its lifetime, as Caddy and certbot do, or
 * when it says (`renewAt`).
 */
export function renewalTime({ notBefore, notAfter, renewAt }: IssuedCertificate): number {
  return renewAt ?? notBefore + Math.floor(((notAfter - notBefore) * 2) / 3);
}

/** The file a domain's certificate is kept in, in the store: `certificates/<domain>.json`. */
export function toCertificateFile(domain: string): string {
  // A domain holds letters, digits, `-_.` and a leading `*`, which `%2A` names unambiguously.
  return `certificates/${domain.replace('*', '%2A')}.json`;
}

/** Reads a stored certificate; undefined when the text is not one (it is then issued again). */
export function parseIssuedCertificate(text: string): IssuedCertificate | undefined {
  try {
    const value = JSON.parse(text) as Partial<IssuedCertificate>;
    const fields = [value.domain, value.issuer, value.certificateChain, value.privateKey];
    if (fields.some((field) => typeof field !== 'string')) return undefined;
    if (typeof value.notBefore !== 'number' || typeof value.notAfter !== 'number') return undefined;
    return value as IssuedCertificate;
  } catch {
    return undefined;
  }
}
