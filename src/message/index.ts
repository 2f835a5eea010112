export type { Message, Payload, Urgency, WebpushMessage } from './types.js';
export { URGENCIES } from './types.js';
export {
  DEFAULT_HOP_LIMIT,
  DEFAULT_TTL_SECONDS,
  MAX_AUTHORIZATION_LENGTH,
  MAX_BODY_BYTES,
  MAX_HOPS,
  MAX_TTL_SECONDS,
  MIN_BODY_BYTES,
  isMessageId,
  isReplaceKey,
  isUnixMillis,
} from './limits.js';
export { validateMessage, validateWebpushMessage } from './validate.js';
export { MAX_JSON_DEPTH, jsonDepthExceeds } from './json-depth.js';
export { newMessageId } from './message-id.js';
export { linkAudience } from './link-audience.js';
export {
  decodePlaintext,
  encodePlaintext,
  type DecodedPlaintext,
  type PlaintextContent,
  type PlaintextFallback,
} from './plaintext.js';
export { recipientOf, sealMessage, type MessageSigner, type SealOptions } from './seal.js';
export { SenderMacKeys, SENDER_MAC_LENGTH } from './sender-mac.js';
export { isSystemTopic, SYSTEM_TOPIC_PREFIX } from './system-topic.js';
