/**
 * pushmesh browser core: the node's message model for browsers, on
 * WebCrypto and IndexedDB only (no Node APIs). Byte for byte the node's
 * formats (test/browser/core*.test.ts checks it inside Chromium against
 * the esbuild bundle). The link (src/browser/link.ts) and the page API
 * (src/browser/index.ts) are built on this.
 *
 * Most functions are async: WebCrypto is.
 *
 * Identity
 *   loadOrCreateIdentity({dbName?, name?}) → BrowserIdentity   (IndexedDB, keys non-extractable)
 *   generateIdentity(), importIdentity(scalar, publicKey, auth), deleteStoredIdentity()
 *   nodeIdOf(publicKey) → NodeId, isNodeId(text)
 *   cardOf(identity, endpoint = '') → Card; parseCard(json), parseCardText(text), recipientOf(card)
 *
 * Messages
 *   messageCrypto(identity) → {seal(msg, card, {receipt?, via?, hopLimit?}), open(wire), signer, senderMac}
 *   sealMessage(msg, card, signer, {senderMac, ...}) / openMessage(wire, {identity, senderMac})
 *   newMessageId(), validateMessage(), validateWebpushMessage(), encodePlaintext(), decodePlaintext()
 *   ReplayWindow (duplicates per sender), nackReasonForError(err) → NACK reason
 *
 * Crypto (the RFC layers)
 *   encryptWebPush(plaintext, {p256dh, auth}, {salt?, ephemeral?}) / decryptWebPush(body, {ecdhPrivateKey, publicKey, auth})
 *   encryptAes128gcm(plaintext, {ikm, salt?, rs?, keyid?, padding?}) / decryptAes128gcm(body, {ikm})
 *   VapidSigner, signVapid, verifyVapid, parseVapidAuthorization
 *   SenderMacKeys (sign / verify), senderMacInput
 *
 * Link frames
 *   parseChallenge(text), signChallenge(challenge, identity), encodeProof(proof), answerChallenge(text, identity)
 *   encode/decode DiscoveryRequest, DiscoveryResponse, WebpushMessage, Any, Status, NodeCard; toAny/fromAny
 */
export { PushmeshError, DecryptError, VapidError, isPushmeshError, type ErrorCode } from './errors.js';
export {
  bytesEqual,
  concatBytes,
  decodeCanonicalBase64Url,
  fromBase64,
  fromBase64Url,
  fromHex,
  fromUtf8,
  toBase32,
  toBase64,
  toBase64Url,
  toHex,
  utf8,
} from './bytes.js';
export { ecdh, exportRawPublicKey, hkdf, hmacSha256, importP256PrivateKey, importP256PublicKey, randomBytes, sha256 } from './crypto.js';
export { NODE_ID_LENGTH, isNodeId, nodeIdOf, type NodeId } from './node-id.js';
export { generateIdentity, importIdentity, type BrowserIdentity } from './identity.js';
export { deleteStoredIdentity, loadOrCreateIdentity, type KeyStoreOptions } from './key-store.js';
export { MAX_CARD_BYTES, cardOf, parseCard, parseCardText, recipientOf, type Card } from './card.js';
export {
  DEFAULT_HOP_LIMIT,
  DEFAULT_TTL_SECONDS,
  MAX_AUTHORIZATION_LENGTH,
  MAX_BODY_BYTES,
  MAX_HOPS,
  MAX_TTL_SECONDS,
  MIN_BODY_BYTES,
  URGENCIES,
  isMessageId,
  isReplaceKey,
  isUnixMillis,
  newMessageId,
  validateMessage,
  validateWebpushMessage,
  type Message,
  type Payload,
  type Urgency,
  type WebpushMessage,
} from './message.js';
export {
  MAX_JSON_DEPTH,
  decodePlaintext,
  encodePlaintext,
  jsonDepthExceeds,
  type DecodedPlaintext,
  type PlaintextContent,
  type PlaintextFallback,
} from './plaintext.js';
export { SENDER_MAC_LENGTH, SenderMacKeys, senderMacInput, type MacFields } from './sender-mac.js';
export {
  MAX_WEBPUSH_BODY,
  MAX_WEBPUSH_PLAINTEXT,
  WEBPUSH_AUTH_LENGTH,
  WEBPUSH_HEADER_LENGTH,
  WEBPUSH_RECORD_SIZE,
  decryptWebPush,
  encryptWebPush,
  webPushIkm,
  type EncryptWebPushOptions,
  type WebPushReceiverKeys,
  type WebPushRecipient,
} from './webpush.js';
export {
  decryptAes128gcm,
  deriveContentKeys,
  encryptAes128gcm,
  parseAes128gcmHeader,
  type Aes128gcmHeader,
  type DecryptAes128gcmOptions,
  type EncryptAes128gcmOptions,
} from './aes128gcm.js';
export {
  DEFAULT_VAPID_SUBJECT,
  DEFAULT_VAPID_TTL_SECONDS,
  MAX_VAPID_TTL_SECONDS,
  VapidSigner,
  parseVapidAuthorization,
  signVapid,
  vapidSigningInput,
  verifyVapid,
  type VapidAuthorization,
  type VapidSignerOptions,
  type VerifiedVapid,
  type VerifyVapidOptions,
} from './vapid.js';
export {
  ReplayWindow,
  linkAudience,
  messageCrypto,
  openMessage,
  sealMessage,
  type MessageCrypto,
  type MessageSigner,
  type OpenOptions,
  type ReplayVerdict,
  type SealOptions,
} from './seal.js';
export { NACK_CODES, NACK_REASONS, nackReasonForError, nackReasonOf, nackStatus, type NackReason } from './nack.js';
export {
  CHALLENGE_DOMAIN,
  MAX_CHALLENGE_FRAME_BYTES,
  NONCE_BYTES,
  answerChallenge,
  challengeSignedBytes,
  encodeProof,
  parseChallenge,
  signChallenge,
  type Challenge,
  type ChannelBindingKind,
  type Proof,
} from './challenge.js';
export {
  NODE_CARD_TYPE_URL,
  STATUS_TYPE_URL,
  TYPE_URL_PREFIX,
  WEBPUSH_MESSAGE_TYPE_URL,
  decodeAny,
  decodeDiscoveryRequest,
  decodeDiscoveryResponse,
  decodeNodeCard,
  decodeStatus,
  decodeWebpushMessage,
  encodeAny,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
  encodeNodeCard,
  encodeStatus,
  encodeWebpushMessage,
  fromAny,
  toAny,
  type Any,
  type ControlPlane,
  type DiscoveryRequest,
  type DiscoveryRequestInit,
  type DiscoveryResponse,
  type DiscoveryResponseInit,
  type JsonObject,
  type JsonValue,
  type Node,
  type NodeCardFields,
  type RequestAnswer,
  type Status,
} from './proto/messages.js';
