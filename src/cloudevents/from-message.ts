import { CloudEvent } from 'cloudevents';
import { PushmeshError } from '../errors/index.js';
import type { Message, WebpushMessage } from '../message/types.js';
import { encodeWebpushMessage } from '../proto/index.js';
import {
  BYTES_CONTENT_TYPE,
  EXT_REPLACE,
  EXT_TTL,
  EXT_URGENCY,
  JSON_CONTENT_TYPE,
  META_CE_PREFIX,
  PROTOBUF_CONTENT_TYPE,
  SEALED_DATASCHEMA,
  SEALED_TYPE,
  SOURCE_SCHEME,
  SPEC_VERSION,
  TEXT_CONTENT_TYPE,
} from './constants.js';
import { MAX_EXTENSION_NAME, extensionNameOf } from './extension-names.js';
import { validationReason } from './validation-reason.js';

/** Meta keys that restore an outside event's attributes on the way out (see docs/backends.md). */
const RESTORED = {
  subject: `${META_CE_PREFIX}subject`,
  dataschema: `${META_CE_PREFIX}dataschema`,
  datacontenttype: `${META_CE_PREFIX}datacontenttype`,
} as const;

/**
 * A plaintext message as a CloudEvent (plaintext bridge mode):
 * `source` = `pushmesh://<from>`, `type` = the topic, `id`, `time`,
 * `subject` = the destination node (if any), the payload as `data` with
 * its `datacontenttype`, meta entries as extensions (names made valid),
 * TTL / urgency / replace key as `pushmesh*` extensions.
 *
 * Errors: ERR_BAD_EVENT when the message cannot be a valid event (a meta
 * key too long for an attribute name, a topic the SDK refuses as type).
 */
export function messageToCloudEvent(msg: Message): CloudEvent<unknown> {
  const attrs: Record<string, unknown> = {
    specversion: SPEC_VERSION,
    id: msg.id,
    source: SOURCE_SCHEME + msg.from,
    type: msg.topic,
    time: eventTime(msg.time),
  };
  const meta = { ...msg.meta };
  const subject = msg.to !== '' ? msg.to : takeMeta(meta, RESTORED.subject);
  if (subject) attrs['subject'] = subject;
  const dataschema = takeMeta(meta, RESTORED.dataschema);
  if (dataschema) attrs['dataschema'] = dataschema;
  const givenType = takeMeta(meta, RESTORED.datacontenttype);
  switch (msg.data.kind) {
    case 'json':
      attrs['datacontenttype'] = JSON_CONTENT_TYPE;
      attrs['data'] = msg.data.value;
      break;
    case 'text':
      attrs['datacontenttype'] = givenType && /^text\//i.test(givenType) ? givenType : TEXT_CONTENT_TYPE;
      attrs['data'] = msg.data.value;
      break;
    case 'bytes':
      attrs['datacontenttype'] = givenType ?? BYTES_CONTENT_TYPE;
      attrs['data'] = msg.data.value;
      break;
  }
  if (givenType !== undefined && attrs['datacontenttype'] !== givenType) meta[RESTORED.datacontenttype] = givenType;
  attrs[EXT_TTL] = msg.ttl;
  if (msg.urgency !== 'normal') attrs[EXT_URGENCY] = msg.urgency;
  if (msg.replace) attrs[EXT_REPLACE] = msg.replace;
  for (const [key, value] of Object.entries(meta)) {
    if (key === '') throw new PushmeshError('ERR_BAD_EVENT', 'an empty meta key cannot be a CloudEvents attribute name');
    const name = extensionNameOf(key);
    if (name.length > MAX_EXTENSION_NAME) throw new PushmeshError('ERR_BAD_EVENT', `meta key "${key.slice(0, 40)}…" is too long to be a CloudEvents attribute name`);
    attrs[name] = value;
  }
  return ownEvent(attrs);
}

/**
 * A sealed message as a CloudEvent (encrypted bridge mode): the data is
 * the serialized `pushmesh.v1.WebpushMessage` (its body encrypted to the
 * recipient card), `datacontenttype` application/protobuf, `dataschema`
 * its type URL, `type` pushmesh.sealed, `subject` the recipient node ID.
 * Nothing of the app's topic, meta or payload is in the clear.
 */
export function sealedToCloudEvent(wire: WebpushMessage): CloudEvent<Uint8Array> {
  return ownEvent({
    specversion: SPEC_VERSION,
    id: wire.id,
    source: SOURCE_SCHEME + wire.from,
    type: SEALED_TYPE,
    subject: wire.to,
    time: eventTime(wire.time),
    datacontenttype: PROTOBUF_CONTENT_TYPE,
    dataschema: SEALED_DATASCHEMA,
    data: encodeWebpushMessage(wire),
  }) as CloudEvent<Uint8Array>;
}

function takeMeta(meta: Record<string, string>, key: string): string | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  delete meta[key];
  return v;
}

/** Latest time the JSON schema's date-time accepts (toISOString writes years past 9999 as +0YYYYY). */
const MAX_EVENT_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/** RFC 3339 time of Unix ms, as the JSON schema's date-time wants it. */
function eventTime(ms: number): string {
  if (ms > MAX_EVENT_TIME) throw new PushmeshError('ERR_BAD_EVENT', 'message cannot be a CloudEvent: its time is past the year 9999');
  return new Date(ms).toISOString();
}

/**
 * An event built by the functions above. Its id (a message ID), source
 * (`pushmesh://` + a node ID), time (toISOString) and extension names
 * (extensionNameOf) are valid by construction; what is left to check is
 * done here, so the SDK's schema validation (the costliest part of an
 * event) runs only for events from outside. The property tests feed
 * every event made here through that validation.
 */
function ownEvent(attrs: Record<string, unknown>): CloudEvent<unknown> {
  if (typeof attrs['type'] !== 'string' || attrs['type'] === '') throw new PushmeshError('ERR_BAD_EVENT', 'message cannot be a CloudEvent: its topic (the event type) is empty');
  try {
    return new CloudEvent<unknown>(attrs, false);
  } catch (err) {
    throw new PushmeshError('ERR_BAD_EVENT', `message cannot be a CloudEvent: ${validationReason(err)}`, { cause: err });
  }
}
