export type { Identity, Card, NodeId } from './types.js';
export { nodeIdFromPublicKey, isNodeId, vip6FromPublicKey, NODE_ID_LENGTH } from './node-id.js';
export { createIdentity, identityExists, type CreateIdentityOptions } from './create-identity.js';
export { loadIdentity, type LoadIdentityOptions } from './load-identity.js';
export { openIdentity, type OpenedIdentity } from './open-identity.js';
export { parsePrivateKeyPem, keyPairFromKeyObject, type P256KeyPair } from './private-key.js';
export { generateAuthSecret, parseAuthSecret, AUTH_SECRET_LENGTH } from './auth-secret.js';
export { createSelfSignedCertificate, certificateMatches, CERTIFICATE_VALIDITY_DAYS, type CertificateOptions } from './certificate.js';
export { cardFor, normalizeOrigin, pushPath } from './card.js';
export { parseCard, parseCardText, MAX_CARD_BYTES } from './parse-card.js';
export { PeerStore } from './peer-store.js';
export { fetchCard, cardUrl, FETCH_CARD_TIMEOUT_MS, type FetchCardOptions } from './fetch-card.js';
export {
  checkGivenCertificate,
  certificateChainPem,
  leafCertificate,
  isSelfSigned,
  summarizeCertificate,
  daysLeft,
  CERTIFICATE_WARN_DAYS,
  type CertificateSummary,
} from './issued-certificate.js';
export { installCertificate } from './install-certificate.js';
export { createCertificateRequest, type CertificateRequestOptions } from './certificate-request.js';
