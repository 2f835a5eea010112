/**
 * pushmesh messages ↔ CloudEvents 1.0 (with the `cloudevents` SDK). See
 * docs/backends.md for the mapping of every attribute.
 */
export * from './constants.js';
export type { EventData, InboundEvent, InboundPlain, InboundSealed, ParsedEvent } from './types.js';
export { extensionNameOf, metaKeyOfExtension, isPlainMetaKey, MAX_EXTENSION_NAME } from './extension-names.js';
export { messageToCloudEvent, sealedToCloudEvent } from './from-message.js';
export { validationReason } from './validation-reason.js';
export { validateAttributes } from './validate.js';
export { parseStructuredEvent, parseBinaryEvent, binaryAttributes, type ParseLimits, type HeaderReading } from './parse.js';
export { inboundFromEvent, derivedId, mediaType, MAX_TYPE_LENGTH } from './to-inbound.js';
export { encodeHeaderValue, decodeHeaderValue } from './header-values.js';
export { toStructured, toBinary, dataBytes, type BinaryForm, type BinaryOptions } from './serialize.js';
