import type { PushmeshError } from '../../errors/index.js';
import { inboundFromPush } from './push-inbound.js';
import type { Inbound } from '../../core/inbound.js';
import type { NackReason } from '../../proto/status.js';
import type { AcceptPush } from './push-types.js';
import { NackError } from '../../errors/nack-error.js';

/**
 * A push as the HTTPS transport hands it on: the message (`from` still
 * unknown: Web Push names no sender; the inbox proves one) and the answer
 * to give the HTTP request, as ACK or NACK.
 */
export interface InboundPush {
  readonly inbound: Inbound;
  /** 201 with `Location` (a duplicate is answered the same way). */
  ack(duplicate?: boolean): void;
  /** The status for `reason`, or for `error`'s code when given (401/403/404/413/503/400), with `reason` in the JSON body. */
  nack(reason: NackReason, error?: PushmeshError): void;
}

/**
 * The receiving half of the HTTPS Web Push transport: an AcceptPush for
 * the push server (`POST /push/<id>`) that turns each push into an
 * InboundPush and waits for its answer. It only moves bytes: it checks
 * nothing about the sender. In a node, `onPush` is the inbox
 * (docs/security.md "The inbound path"); the transport compliance suite
 * hands pushes to an HttpsPushLink instead.
 */
export class HttpsInbox {
  readonly #onPush: (push: InboundPush) => void;

  constructor(opts: { onPush: (push: InboundPush) => void }) {
    this.#onPush = opts.onPush;
  }

  readonly accept: AcceptPush = (push) =>
    new Promise((resolve, reject) => {
      const inbound = inboundFromPush(push);
      let answered = false;
      const once = (fn: () => void): void => {
        if (answered) return;
        answered = true;
        fn();
      };
      this.#onPush({
        inbound,
        ack: (duplicate = false) => once(() => resolve({ id: inbound.wire.id, duplicate })),
        nack: (reason, error) => once(() => reject(error ?? new NackError(reason))),
      });
    });
}
