import { PushmeshError } from './pushmesh-error.js';

/** How a refused challenge frame ends the WebSocket: 1002 (malformed) or 4401 (no valid proof). */
export type ChallengeRefusalReason = 'protocol_error' | 'unauthenticated';

/** The one error for a challenge or proof frame that is not good; the message starts with the reason. */
export class ChallengeRefusal extends PushmeshError {
  static override name = 'ChallengeRefusal';
  readonly reason: ChallengeRefusalReason;

  constructor(reason: ChallengeRefusalReason, detail: string, options?: ErrorOptions) {
    super('ERR_PEER_REFUSED', `${reason}: ${detail}`, options);
    this.reason = reason;
  }
}
