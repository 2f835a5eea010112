import { typeUrlFor } from './any.js';
import { decodeMapped, encodeRaw, str } from './raw.js';

const TYPE = 'pushmesh.v1.NodeCard';

/** Type URL of a node card resource on an ADS stream. */
export const NODE_CARD_TYPE_URL = typeUrlFor(TYPE);

/** pushmesh.v1.NodeCard: the strings of a card's JSON form, not yet validated as a card. */
export interface NodeCardFields {
  id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

export function encodeNodeCard(card: NodeCardFields): Buffer {
  return encodeRaw(TYPE, { id: card.id, endpoint: card.endpoint, p256dh: card.p256dh, auth: card.auth });
}

/** Decodes a NodeCard; throws ERR_BAD_MESSAGE only (validate the card with parseCard). */
export function decodeNodeCard(data: Uint8Array): NodeCardFields {
  return decodeMapped(TYPE, data, (raw) => ({
    id: str(raw.id, 'id'),
    endpoint: str(raw.endpoint, 'endpoint'),
    p256dh: str(raw.p256dh, 'p256dh'),
    auth: str(raw.auth, 'auth'),
  }));
}
