import type { TlsIssuer } from '../labels/option-values.js';

/** The issuer `--tls-issuer` names: one for every domain, or `auto`. */
export type DefaultIssuer = TlsIssuer | 'auto';

/** Top-level names no public CA issues for: RFC 2606, RFC 6761, ICANN's `.internal`, mDNS's `.local`. */
const DEVELOPMENT_SUFFIXES = ['.localhost', '.test', '.internal', '.local', '.example', '.invalid'];

/** Whether no public CA can certify `domain`: a single label (`web`), or a name under a reserved suffix. */
export function isDevelopmentName(domain: string): boolean {
  const name = domain.startsWith('*.') ? domain.slice(2) : domain;
  return (
    !name.includes('.') ||
    name === 'localhost' ||
    DEVELOPMENT_SUFFIXES.some((suffix) => name.endsWith(suffix))
  );
}

/**
 * Who signs `domain`'s certificate when its service's labels do not say: `--tls-issuer`, or
 * with `auto`, the internal CA for development names (`web.localhost`, `app.test`, `db`) and
 * ACME for the others when an ACME account is configured (`--acme-email`), else the internal
 * CA. Pure.
 */
export function chooseIssuer(
  domain: string,
  given: DefaultIssuer,
  acmeConfigured: boolean,
): TlsIssuer {
  if (given !== 'auto') return given;
  return acmeConfigured && !isDevelopmentName(domain) ? 'acme' : 'internal';
}
