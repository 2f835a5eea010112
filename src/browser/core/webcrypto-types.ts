/**
 * The WebCrypto type names the core uses, taken from the global `crypto`,
 * so the core type-checks both with the DOM library (the browser build,
 * tsconfig.browser.json) and with Node's own types (tests that run parts
 * of src/browser on Node's WebCrypto). Same objects either way.
 */
export type WebSubtle = typeof globalThis.crypto.subtle;
/** A CryptoKey. */
export type WebCryptoKey = Parameters<WebSubtle['sign']>[1];
export interface WebCryptoKeyPair {
  publicKey: WebCryptoKey;
  privateKey: WebCryptoKey;
}
/** The members of an EC JSON Web Key the core reads and writes. */
export interface EcJwk {
  kty?: string;
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
}
