import { WEBPUSH_MESSAGE_TYPE_URL } from '../proto/index.js';

/** The only CloudEvents version pushmesh reads and writes. */
export const SPEC_VERSION = '1.0';

/** `source` of every event pushmesh writes: `pushmesh://<node id>`. */
export const SOURCE_SCHEME = 'pushmesh://';

/** `type` of a sealed (end-to-end encrypted) event; the app's topic is inside, encrypted. */
export const SEALED_TYPE = 'pushmesh.sealed';

/** `datacontenttype` of a sealed event: the data is a `pushmesh.v1.WebpushMessage`. */
export const PROTOBUF_CONTENT_TYPE = 'application/protobuf';

/**
 * `dataschema` of a sealed event: the protobuf type URL of
 * WebpushMessage with its scheme written out (`dataschema` must be an
 * absolute URI; a type URL without a scheme means https, as
 * google.protobuf.Any documents).
 */
export const SEALED_DATASCHEMA = `https://${WEBPUSH_MESSAGE_TYPE_URL}`;

export const JSON_CONTENT_TYPE = 'application/json';
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';
export const BYTES_CONTENT_TYPE = 'application/octet-stream';
/** Media type of the JSON event format (structured content mode). */
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

/** pushmesh's own extension attributes. */
export const EXT_TTL = 'pushmeshttl';
export const EXT_URGENCY = 'pushmeshurgency';
export const EXT_REPLACE = 'pushmeshreplace';

/** Prefix of an extension name that carries a meta key which is not a valid attribute name itself. */
export const ESCAPED_META_PREFIX = 'pmx';

/** Meta keys that keep attributes of an outside event that no message field holds. */
export const META_CE_PREFIX = 'ce-';

/** Context attributes of CloudEvents 1.0 (and the 0.3 names the SDK knows), never extensions. */
export const CONTEXT_ATTRIBUTES: ReadonlySet<string> = new Set([
  'specversion',
  'id',
  'source',
  'type',
  'datacontenttype',
  'dataschema',
  'subject',
  'time',
  'data',
  'data_base64',
  'datacontentencoding',
  'schemaurl',
]);
