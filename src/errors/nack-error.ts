import type { ErrorCode } from './codes.js';
import type { NackReason } from './nack-reason.js';
import { PushmeshError } from './pushmesh-error.js';

/** The error code whose HTTP status (push-server.ts) tells a Web Push sender each NACK reason. */
const CODE_OF: Readonly<Record<NackReason, ErrorCode>> = {
  unauthorized: 'ERR_VAPID_MISSING', // 401
  bad_signature: 'ERR_VAPID_INVALID', // 403
  too_large: 'ERR_PAYLOAD_TOO_LARGE', // 413
  no_route: 'ERR_NOT_FOUND', // 404
  queue_full: 'ERR_QUEUE_FULL', // 503
  hop_limit: 'ERR_BAD_MESSAGE', // 400
  bad_message: 'ERR_BAD_MESSAGE', // 400
  storage_full: 'ERR_STORAGE_FULL', // 503 (src/errors/http-status.ts)
};

/** A NACK on HTTPS: an error the push server answers with the right status and `reason` in the JSON body. */
export class NackError extends PushmeshError {
  static override name = 'NackError';
  readonly nackReason: NackReason;

  constructor(reason: NackReason) {
    super(CODE_OF[reason], `refused: ${reason}`);
    this.nackReason = reason;
  }
}
