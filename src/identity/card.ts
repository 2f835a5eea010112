import { PushmeshError } from '../errors/index.js';
import { toBase64Url } from '../util/base64url.js';
import type { Card, Identity } from './types.js';

/** Path of a node's Web Push endpoint, relative to its HTTPS origin. */
export function pushPath(id: string): string {
  return `/push/${id}`;
}

/**
 * This node's card: its ID and a standard Web Push subscription whose
 * endpoint is `endpointOrigin` + `/push/<id>`. `endpointOrigin` must be an
 * https URL without a path, query or credentials (ERR_BAD_ARGUMENT).
 */
export function cardFor(identity: Identity, endpointOrigin: string): Card {
  return {
    id: identity.id,
    // No origin (HTTPS off, nothing advertised): no endpoint; the node is reached over a link or through a relay.
    endpoint: endpointOrigin === '' ? '' : normalizeOrigin(endpointOrigin) + pushPath(identity.id),
    keys: { p256dh: toBase64Url(identity.publicKey), auth: toBase64Url(identity.auth) },
  };
}

/** `https://host[:port]` from an advertised URL, or ERR_BAD_ARGUMENT. */
export function normalizeOrigin(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `advertised endpoint ${JSON.stringify(text)} is not a URL`, { cause: err });
  }
  if (url.protocol !== 'https:') {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `advertised endpoint ${text} must be an https:// URL`);
  }
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `advertised endpoint ${text} must be an origin only (https://HOST[:PORT])`);
  }
  return url.origin;
}
