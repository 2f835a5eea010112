import { PushmeshError } from '../../errors/index.js';
import { nodeIdFromPublicKey } from '../../identity/node-id.js';
import type { NodeId } from '../../identity/types.js';
import type { AcceptPush, IncomingPush } from '../../push/types.js';
import type { VapidVerifier } from '../../webpush/index.js';

/** Where the inbox hands a push from a sender that has an HTTPS link. */
export interface PushTarget {
  deliverPush(push: IncomingPush, from: NodeId): Promise<{ id: string; duplicate: boolean }>;
}

/**
 * The receiving half of HTTPS Web Push links: an AcceptPush for the push
 * server (`POST /push/<id>`) that identifies the sender by its VAPID key
 * and hands the push to the HTTPS link registered for that node, which
 * answers the HTTP request with the link consumer's ACK or NACK. Pushes
 * from senders without a link go to `fallback` (or are refused 404).
 */
export class HttpsInbox {
  readonly #verifier: Pick<VapidVerifier, 'verify'>;
  readonly #fallback: AcceptPush | undefined;
  readonly #targets = new Map<NodeId, PushTarget>();

  constructor(opts: { verifier: Pick<VapidVerifier, 'verify'>; fallback?: AcceptPush }) {
    this.#verifier = opts.verifier;
    this.#fallback = opts.fallback;
  }

  readonly accept: AcceptPush = async (push) => {
    const target = this.#targets.size > 0 ? await this.#target(push) : undefined;
    if (target) return target.link.deliverPush(push, target.from);
    if (this.#fallback) return this.#fallback(push);
    throw new PushmeshError('ERR_NOT_FOUND', 'no link for this sender');
  };

  async #target(push: IncomingPush): Promise<{ link: PushTarget; from: NodeId } | undefined> {
    const vapid = await this.#verifier.verify(push.authorization, push.audiences);
    const from = nodeIdFromPublicKey(vapid.publicKey);
    const link = this.#targets.get(from);
    return link && { link, from };
  }

  register(peer: NodeId, target: PushTarget): void {
    this.#targets.set(peer, target);
  }

  unregister(peer: NodeId, target: PushTarget): void {
    if (this.#targets.get(peer) === target) this.#targets.delete(peer);
  }
}
