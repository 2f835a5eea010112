import type { ErrorCode } from '../errors/index.js';
import { isPushmeshError } from '../errors/index.js';

/** HTTP status for each error code the local API can meet. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_BAD_ARGUMENT: 400,
  ERR_BAD_MESSAGE: 400,
  ERR_BAD_EVENT: 400,
  ERR_BAD_CARD: 400,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_PAYLOAD_TOO_LARGE: 413,
  ERR_UNSUPPORTED: 415,
  ERR_QUEUE_FULL: 503,
  ERR_UNAVAILABLE: 503,
  ERR_TIMEOUT: 504,
};

/** The JSON body of every error answer: `{"error": {"code", "message"}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Maps any thrown value to a status and a body that is safe to show (no stack, no internals). */
export function toHttpError(err: unknown): { status: number; body: ErrorBody } {
  if (isPushmeshError(err)) {
    return { status: STATUS[err.code] ?? 500, body: errorBody(err.code, err.message) };
  }
  // Fastify's own errors (body too large, malformed request) carry a statusCode; answer with our codes.
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = e.statusCode === 413 ? 'ERR_PAYLOAD_TOO_LARGE' : e.statusCode === 415 ? 'ERR_UNSUPPORTED' : 'ERR_BAD_ARGUMENT';
    return { status: e.statusCode, body: errorBody(code, e.message ?? 'bad request') };
  }
  return { status: 500, body: errorBody('ERR_INTERNAL', 'internal error') };
}
