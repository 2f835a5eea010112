import type { WebpushMessage } from '../message/types.js';
import { validateWebpushMessage } from '../message/validate.js';
import { asBadMessage } from '../message/bad-message.js';
import { bool, bytes, bytesView, decodeInstance, encodeRaw, int, int64Of, str, strList } from './raw.js';
import { fastWebpushFields } from './fast-frames.js';
import { urgencyFromProto, urgencyToProto } from './urgency.js';

const TYPE = 'pushmesh.v1.WebpushMessage';

/** Serializes a WebpushMessage; throws ERR_BAD_MESSAGE if it is out of bounds. */
export function encodeWebpushMessage(wire: WebpushMessage): Buffer {
  validateWebpushMessage(wire);
  return encodeRaw(TYPE, {
    id: wire.id,
    from: wire.from,
    to: wire.to,
    ttl: wire.ttl,
    urgency: urgencyToProto(wire.urgency),
    replace: wire.replace,
    time: wire.time,
    path: wire.path,
    via: wire.via,
    hopLimit: wire.hopLimit,
    receipt: wire.receipt,
    authorization: wire.authorization,
    body: wire.body,
    senderMac: wire.senderMac ?? new Uint8Array(0),
  });
}

/**
 * Parses and validates a WebpushMessage from a peer. Throws only
 * PushmeshError ERR_BAD_MESSAGE (an oversize body has an
 * ERR_PAYLOAD_TOO_LARGE cause). Does not verify VAPID: see openMessage.
 * (Read from the decoded instance without a plain-object copy: this runs
 * once per message on every link.) `body` is a copy, unless `copyBody` is
 * false: then it is a view into `data`, for callers that own `data` and
 * never change it (links, with frames fresh from a socket).
 */
export function decodeWebpushMessage(data: Uint8Array, options: { copyBody?: boolean } = {}): WebpushMessage {
  // The common shape read by hand (fast-frames.ts); anything else by protobufjs. Same fields either way, mapped and checked alike.
  return fromFields(fastWebpushFields(data) ?? decodeInstance(TYPE, data), options);
}

/** @internal decodeWebpushMessage through protobufjs alone, for the tests that hold the fast reader to it. */
export function decodeWebpushMessageGeneral(data: Uint8Array, options: { copyBody?: boolean } = {}): WebpushMessage {
  return fromFields(decodeInstance(TYPE, data), options);
}

function fromFields(raw: Record<string, unknown>, options: { copyBody?: boolean }): WebpushMessage {
  try {
    const wire: WebpushMessage = {
      id: str(raw.id, 'id'),
      from: str(raw.from, 'from'),
      to: str(raw.to, 'to'),
      ttl: int(raw.ttl, 'ttl'),
      urgency: urgencyFromProto(raw.urgency),
      replace: str(raw.replace, 'replace'),
      time: int64Of(raw.time, 'time'),
      path: strList(raw.path, 'path'),
      via: strList(raw.via, 'via'),
      hopLimit: int(raw.hopLimit, 'hop_limit'),
      receipt: bool(raw.receipt, 'receipt'),
      authorization: str(raw.authorization, 'authorization'),
      body: options.copyBody === false ? bytesView(raw.body, 'body') : bytes(raw.body, 'body'),
    };
    const mac = bytes(raw.senderMac, 'sender_mac');
    if (mac.length > 0) wire.senderMac = mac;
    validateWebpushMessage(wire);
    return wire;
  } catch (err) {
    throw asBadMessage(err, `${TYPE}: invalid`);
  }
}
