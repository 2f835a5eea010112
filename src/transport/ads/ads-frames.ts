import { PushmeshError } from '../../errors/index.js';
import { parseCard } from '../../identity/parse-card.js';
import type { Card } from '../../identity/types.js';
import { STATUS_TYPE_URL } from '../../proto/any.js';
import { NODE_CARD_TYPE_URL, decodeNodeCard, encodeNodeCard } from '../../proto/node-card.js';
import { NACK_REASONS, decodeStatus, encodeStatus, nackReasonOf, nackStatus, type NackReason } from '../../proto/status.js';
import type { Any, JsonObject, Node, Status } from '../../proto/types.js';
import type { SendOutcome } from '../types.js';

/** Key of the client's card in the first DiscoveryRequest's `node.metadata`. */
export const CARD_METADATA_KEY = 'pushmesh_card';

/**
 * The client feature (an entry of `node.client_features` in the client's
 * first DiscoveryRequest) that asks the server to carry its answers to the
 * client's requests of messages inside its responses of messages
 * (DiscoveryResponse field 1000, docs/transports.md "Answers with
 * messages").
 */
export const ANSWERS_WITH_MESSAGES_FEATURE = 'pushmesh.ads.answers_with_messages';

/** The per-message answer "accepted": google.rpc.Status{code: 0} serializes to no bytes at all. */
const OK_ANY: Any = Object.freeze({ typeUrl: STATUS_TYPE_URL, value: encodeStatus({ code: 0, message: '', details: [] }) });
const NACK_ANYS = new Map<NackReason, Any>(
  NACK_REASONS.map((r) => [r, Object.freeze({ typeUrl: STATUS_TYPE_URL, value: encodeStatus(nackStatus(r)) })]),
);

export const OK: SendOutcome = Object.freeze({ ok: true });
const REFUSED = new Map<NackReason, SendOutcome>(NACK_REASONS.map((r) => [r, Object.freeze({ ok: false, reason: r })]));

export function refused(reason: NackReason): SendOutcome {
  return REFUSED.get(reason)!;
}

/** The google.rpc.Status resource answering one message. */
export function answerAny(outcome: SendOutcome): Any {
  return outcome.ok ? OK_ANY : NACK_ANYS.get(outcome.reason)!;
}

/** Reads one answer: code 0 is accepted; otherwise the reason token (an unknown one reads as bad_message). */
export function outcomeOfStatus(status: Status): SendOutcome {
  if (status.code === 0) return OK;
  return refused(nackReasonOf(status) ?? 'bad_message');
}

/** Reads a status resource; throws ERR_BAD_MESSAGE when it is not a google.rpc.Status. */
export function outcomeOfAny(any: Any): SendOutcome {
  if (any.typeUrl !== STATUS_TYPE_URL) throw new PushmeshError('ERR_BAD_MESSAGE', `answer of type ${any.typeUrl.slice(0, 100)} is not a google.rpc.Status`);
  if (any.value.length === 0) return OK;
  return outcomeOfStatus(decodeStatus(any.value));
}

/** The card as a NodeCard resource. */
export function cardAny(card: Card): Any {
  return { typeUrl: NODE_CARD_TYPE_URL, value: encodeNodeCard({ id: card.id, endpoint: card.endpoint, p256dh: card.keys.p256dh, auth: card.keys.auth }) };
}

/** A card from a NodeCard resource; ERR_BAD_MESSAGE / ERR_BAD_CARD when it is not a valid one. */
export function cardFromAny(any: Any): Card {
  if (any.typeUrl !== NODE_CARD_TYPE_URL) throw new PushmeshError('ERR_BAD_MESSAGE', `card resource of type ${any.typeUrl.slice(0, 100)}`);
  const f = decodeNodeCard(any.value);
  return parseCard({ id: f.id, endpoint: f.endpoint, keys: { p256dh: f.p256dh, auth: f.auth } });
}

/** The client's Node for its first request: its ID, user agent, the features it asks for, and its card in metadata. */
export function clientNode(id: string, card: Card | undefined, version: string, features: readonly string[] = []): Partial<Node> {
  const node: Partial<Node> = { id, userAgentName: 'pushmesh', userAgentVersion: version, clientFeatures: [...features] };
  if (card) node.metadata = { [CARD_METADATA_KEY]: card as unknown as JsonObject };
  return node;
}

/** The card in a client's Node metadata, validated, or undefined when it sent none. */
export function cardFromNode(node: Node | undefined): Card | undefined {
  const value = node?.metadata?.[CARD_METADATA_KEY];
  if (value === undefined) return undefined;
  return parseCard(value);
}
