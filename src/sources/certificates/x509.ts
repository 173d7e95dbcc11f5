// @peculiar/x509 (certificates and their extensions, on WebCrypto) resolves its ASN.1 codecs
// through tsyringe, which needs the Reflect metadata API installed before it loads: this module
// is the one door to it, so that polyfill comes first wherever certificates are made.
import 'reflect-metadata';

export * as x509 from '@peculiar/x509';
