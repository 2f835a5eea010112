export { PROTO_DIR, PROTO_FILES, PROTO_LOADER_OPTIONS } from './paths.js';
export { protoRoot, protoType } from './root.js';
export type { Any, ControlPlane, DiscoveryRequest, DiscoveryResponse, JsonObject, JsonValue, Node, RequestAnswer, Status } from './types.js';
export { STATUS_TYPE_URL, TYPE_URL_PREFIX, WEBPUSH_MESSAGE_TYPE_URL, decodeAny, encodeAny, typeUrlFor } from './any.js';
export {
  NACK_CODES,
  NACK_REASONS,
  type NackReason,
  decodeStatus,
  encodeStatus,
  nackReasonForError,
  nackReasonOf,
  nackStatus,
} from './status.js';
export {
  type DiscoveryRequestInit,
  type DiscoveryResponseInit,
  decodeDiscoveryRequest,
  decodeDiscoveryResponse,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
} from './discovery.js';
export { decodeWebpushMessage, encodeWebpushMessage } from './webpush-message.js';
export { fromAny, toAny } from './webpush-any.js';
export { decodeMessage, encodeMessage } from './message.js';
export { NODE_CARD_TYPE_URL, decodeNodeCard, encodeNodeCard, type NodeCardFields } from './node-card.js';
