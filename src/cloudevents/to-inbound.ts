import { createHash } from 'node:crypto';
import { PushmeshError } from '../errors/index.js';
import { MAX_TTL_SECONDS, URGENCIES, isMessageId, isReplaceKey, type Payload, type Urgency } from '../message/index.js';
import { decodeWebpushMessage } from '../proto/index.js';
import {
  BYTES_CONTENT_TYPE,
  CONTEXT_ATTRIBUTES,
  EXT_REPLACE,
  EXT_TTL,
  EXT_URGENCY,
  JSON_CONTENT_TYPE,
  META_CE_PREFIX,
  PROTOBUF_CONTENT_TYPE,
  SEALED_DATASCHEMA,
  SOURCE_SCHEME,
  TEXT_CONTENT_TYPE,
} from './constants.js';
import { metaKeyOfExtension } from './extension-names.js';
import type { EventData, InboundEvent, ParsedEvent } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Longest event type accepted as a topic. */
export const MAX_TYPE_LENGTH = 256;

const bad = (reason: string, cause?: unknown): PushmeshError =>
  new PushmeshError('ERR_BAD_EVENT', reason, cause === undefined ? undefined : { cause });

/**
 * What a validated outside event means for the mesh (docs/backends.md,
 * "Inbound"): a sealed WebpushMessage when `datacontenttype` is
 * application/protobuf and `dataschema` its type URL; otherwise a
 * plaintext message on topic = `type`. Throws ERR_BAD_EVENT.
 */
export function inboundFromEvent(ev: ParsedEvent): InboundEvent {
  const a = ev.attributes;
  const contentType = optionalString(a, 'datacontenttype');
  if (mediaType(contentType) === PROTOBUF_CONTENT_TYPE && a['dataschema'] === SEALED_DATASCHEMA) return sealed(ev);
  if (a.type.length > MAX_TYPE_LENGTH) throw bad(`type is longer than ${MAX_TYPE_LENGTH} characters`);

  // Entries first, object last: Object.fromEntries makes every key an own property, `__proto__` included.
  const meta: Array<[string, string]> = [];
  const id = isMessageId(a.id) ? a.id : derivedId(a.source, a.id);
  if (id !== a.id) meta.push([`${META_CE_PREFIX}id`, a.id]);
  meta.push([`${META_CE_PREFIX}source`, a.source]);
  // The subject is kept, never followed: an event names no destination in the mesh
  // (a copy of a delivered message carries its old `to` there, and following it would loop).
  const subject = optionalString(a, 'subject');
  if (subject !== undefined) meta.push([`${META_CE_PREFIX}subject`, subject]);
  const dataschema = optionalString(a, 'dataschema');
  if (dataschema !== undefined) meta.push([`${META_CE_PREFIX}dataschema`, dataschema]);

  let time: number | null = null;
  const timeText = optionalString(a, 'time');
  if (timeText !== undefined) {
    time = Date.parse(timeText);
    if (!Number.isSafeInteger(time) || time < 0) throw bad(`time "${timeText.slice(0, 40)}" is not a time after 1970`);
  }

  const { payload, canonicalType } = payloadOf(ev.data, contentType);
  if (contentType !== undefined && contentType !== canonicalType) meta.push([`${META_CE_PREFIX}datacontenttype`, contentType]);

  let ttl: number | null = null;
  let urgency: Urgency = 'normal';
  let replace: string | undefined;
  for (const [name, value] of Object.entries(a)) {
    if (CONTEXT_ATTRIBUTES.has(name)) continue;
    const text = String(value);
    if (name === EXT_TTL) {
      if (!/^\d{1,10}$/.test(text) || Number(text) > MAX_TTL_SECONDS) throw bad(`${EXT_TTL} must be whole seconds, 0-${MAX_TTL_SECONDS}`);
      ttl = Number(text);
    } else if (name === EXT_URGENCY) {
      if (!(URGENCIES as readonly string[]).includes(text)) throw bad(`${EXT_URGENCY} must be one of ${URGENCIES.join(', ')}`);
      urgency = text as Urgency;
    } else if (name === EXT_REPLACE) {
      if (!isReplaceKey(text)) throw bad(`${EXT_REPLACE} must be 1-32 characters of A-Z a-z 0-9 - _ (RFC 8030 Topic)`);
      replace = text;
    } else {
      meta.push([metaKeyOfExtension(name), text]);
    }
  }
  const out: InboundEvent = { kind: 'plain', id, topic: a.type, time, ttl, urgency, meta: Object.fromEntries(meta), data: payload };
  if (replace !== undefined) out.replace = replace;
  return out;
}

function sealed(ev: ParsedEvent): InboundEvent {
  if (ev.data.form !== 'bytes') throw bad('sealed event has no binary data (a pushmesh.v1.WebpushMessage)');
  let wire;
  try {
    wire = decodeWebpushMessage(ev.data.bytes);
  } catch (err) {
    throw bad(`sealed event data is not a valid pushmesh.v1.WebpushMessage: ${(err as Error).message}`, err);
  }
  const a = ev.attributes;
  if (a.id !== wire.id) throw bad('sealed event id differs from the message id');
  if (a.source !== SOURCE_SCHEME + wire.from) throw bad('sealed event source is not pushmesh://<from of the message>');
  if (a['subject'] !== undefined && a['subject'] !== wire.to) throw bad('sealed event subject differs from the message destination');
  return { kind: 'sealed', wire };
}

/** A message ID for an event whose id is not one: base64url of SHA-256(source ‖ LF ‖ id), 22 characters. */
export function derivedId(source: string, id: string): string {
  return createHash('sha256').update(`${source}\n${id}`).digest().subarray(0, 16).toString('base64url');
}

function optionalString(a: Record<string, unknown>, name: string): string | undefined {
  const v = a[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw bad(`${name} must be a string`);
  return v;
}

/** The media type of a content type, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]!.trim().toLowerCase();
}

function isJsonMedia(media: string): boolean {
  return media === 'application/json' || media.endsWith('+json');
}

function isUtf8Text(contentType: string): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii';
}

/** The payload of an event's data and the content type pushmesh itself would write for it. */
function payloadOf(data: EventData, contentType: string | undefined): { payload: Payload; canonicalType: string | undefined } {
  const media = mediaType(contentType);
  const json = (value: unknown): { payload: Payload; canonicalType: string } => ({ payload: { kind: 'json', value }, canonicalType: JSON_CONTENT_TYPE });
  const text = (value: string): { payload: Payload; canonicalType: string } => ({ payload: { kind: 'text', value }, canonicalType: TEXT_CONTENT_TYPE });
  const bytes = (value: Uint8Array): { payload: Payload; canonicalType: string } => ({ payload: { kind: 'bytes', value }, canonicalType: BYTES_CONTENT_TYPE });
  switch (data.form) {
    case 'none':
      return { payload: { kind: 'json', value: null }, canonicalType: undefined };
    case 'json': {
      if (media === undefined || isJsonMedia(media)) return json(data.value);
      if (media.startsWith('text/')) {
        if (typeof data.value !== 'string') throw bad(`data of a ${media} event must be a string`);
        return text(data.value);
      }
      return typeof data.value === 'string' ? text(data.value) : json(data.value);
    }
    case 'bytes': {
      if (media !== undefined && isJsonMedia(media)) {
        if (data.bytes.length === 0) return { payload: { kind: 'json', value: null }, canonicalType: JSON_CONTENT_TYPE };
        try {
          return json(JSON.parse(utf8.decode(data.bytes)));
        } catch (err) {
          throw bad(`data is not UTF-8 JSON though datacontenttype is ${media}`, err);
        }
      }
      if (media !== undefined && media.startsWith('text/')) {
        if (!isUtf8Text(contentType!)) return bytes(data.bytes);
        try {
          return text(utf8.decode(data.bytes));
        } catch (err) {
          throw bad(`data is not UTF-8 text though datacontenttype is ${media}`, err);
        }
      }
      if (media !== undefined) return bytes(data.bytes);
      // No content type: the same reading as a body from a plain Web Push sender.
      let decoded: string;
      try {
        decoded = utf8.decode(data.bytes);
      } catch {
        return { payload: { kind: 'bytes', value: data.bytes }, canonicalType: undefined };
      }
      try {
        return { payload: { kind: 'json', value: JSON.parse(decoded) }, canonicalType: undefined };
      } catch {
        return { payload: { kind: 'text', value: decoded }, canonicalType: undefined };
      }
    }
  }
}
