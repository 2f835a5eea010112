/**
 * The message model: the node's own shapes (src/message/types.ts), bounds
 * (src/message/limits.ts) and checks (src/message/validate.ts), imported
 * from those pure modules rather than copied; only newMessageId is the
 * browser's (WebCrypto random bytes).
 */
import { toBase64Url } from './bytes.js';
import { randomBytes } from './crypto.js';

// The shapes are src/message/types.ts itself (a pure module shared with the node).
export { URGENCIES, type Message, type Payload, type Urgency, type WebpushMessage } from '../../message/types.js';

// The bounds are src/message/limits.ts itself (a pure module shared with the node, .dependency-cruiser.cjs "browser-shared-pure").
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
} from '../../message/limits.js';

/** 16 random bytes as base64url (22 characters), as the node's newMessageId. */
export function newMessageId(): string {
  return toBase64Url(randomBytes(16));
}

// The checks are src/message/validate.ts itself (pure, shared): the same refusals (ERR_BAD_MESSAGE) and causes.
export { validateMessage, validateWebpushMessage } from '../../message/validate.js';
