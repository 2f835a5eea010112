import type { Identity } from '../identity/types.js';
import { SenderMacKeys } from '../message/index.js';
import { VapidSigner, VapidVerifier, WebPushDecrypter } from '../webpush/index.js';

/** What a node does with its key: sign VAPID tokens, verify others', decrypt what is sealed for it, prove and check senders. */
export interface NodeKeys {
  signer: VapidSigner;
  verifier: VapidVerifier;
  decrypter: WebPushDecrypter;
  senderMac: SenderMacKeys;
}

/** The VAPID `sub` of a node with no `vapidSubject` configured: names the node, reaches no one (`.invalid`, RFC 6761). */
export function defaultVapidSubject(id: string): string {
  return `https://pushmesh.invalid/node/${id}`;
}

/** `vapidSubject`: the configured contact (already checked by the config), or defaultVapidSubject. */
export function nodeKeys(identity: Identity, vapidSubject?: string | null): NodeKeys {
  return {
    // Tokens that live 23 h and are renewed 11 h before they end: a message signed now keeps a token good for at least
    // 11 h, which is how long a relay can hold it (docs/routing.md "VAPID token life"); under RFC 8292's 24 h with room for clock skew.
    signer: new VapidSigner({ privateKey: identity.privateKey, publicKey: identity.publicKey, subject: vapidSubject ?? defaultVapidSubject(identity.id), ttlSeconds: 23 * 3600, renewBeforeSeconds: 11 * 3600 }),
    verifier: new VapidVerifier(),
    decrypter: new WebPushDecrypter({ privateScalar: identity.privateScalar, publicKey: identity.publicKey, auth: identity.auth }),
    senderMac: new SenderMacKeys(identity.privateScalar, identity.publicKey),
  };
}
