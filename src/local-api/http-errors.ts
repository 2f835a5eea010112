import { isPushmeshError } from '../errors/index.js';
import type { ErrorCode } from '../errors/codes.js';
import { httpStatusOf } from '../errors/http-status.js';

/** The JSON body of every error answer: `{"error": {"code", "message"}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Maps any thrown value to a status and a body that is safe to show (no stack, no internals). */
export function toHttpError(err: unknown): { status: number; body: ErrorBody } {
  if (isPushmeshError(err)) {
    return { status: httpStatusOf(err.code, 'local'), body: errorBody(err.code, err.message) };
  }
  // Fastify's own errors (body too large, malformed request) carry a statusCode; answer with our codes.
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = e.statusCode === 413 ? 'ERR_PAYLOAD_TOO_LARGE' : e.statusCode === 415 ? 'ERR_UNSUPPORTED' : 'ERR_BAD_ARGUMENT';
    return { status: e.statusCode, body: errorBody(code, e.message ?? 'bad request') };
  }
  return { status: 500, body: errorBody('ERR_INTERNAL', 'internal error') };
}
