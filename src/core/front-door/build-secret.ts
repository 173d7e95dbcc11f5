import { toSecretName } from './front-door-settings.js';

/** A certificate for one domain, as the agent serves it: PEM text. */
export interface DomainCertificate {
  readonly domain: string;
  /** The leaf first, then the intermediates (never the root). */
  readonly certificateChain: string;
  /** PKCS#8 PEM. */
  readonly privateKey: string;
}

/** An Envoy v3 SDS `Secret` holding a TLS certificate, in proto3 JSON. */
export interface SecretJson {
  readonly name: string;
  readonly tls_certificate: {
    readonly certificate_chain: { readonly inline_string: string };
    readonly private_key: { readonly inline_string: string };
  };
}

/**
 * The `Secret` Envoy's HTTPS filter chain for `certificate.domain` names (`tls/<domain>`): the
 * chain and key inline, so Envoy reads no file. The same certificate gives the same bytes, and
 * so the same version, on every agent. Pure.
 */
export function buildSecret(certificate: DomainCertificate): SecretJson {
  return {
    name: toSecretName(certificate.domain),
    tls_certificate: {
      certificate_chain: { inline_string: certificate.certificateChain },
      private_key: { inline_string: certificate.privateKey },
    },
  };
}
