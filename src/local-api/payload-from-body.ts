import { PushmeshError } from '../errors/index.js';
import type { Payload } from '../message/types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns a request body into a payload by its content type: JSON (must
 * parse), text/* (must be UTF-8), application/octet-stream (bytes).
 * Anything else is refused with 415.
 */
export function payloadFromBody(contentType: string | undefined, body: Buffer | undefined): Payload {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const bytes = body ?? Buffer.alloc(0);
  if (type === 'application/json' || type.endsWith('+json')) {
    if (bytes.length === 0) throw new PushmeshError('ERR_BAD_ARGUMENT', 'empty body: send a JSON value');
    try {
      return { kind: 'json', value: JSON.parse(utf8.decode(bytes)) };
    } catch (err) {
      throw new PushmeshError('ERR_BAD_ARGUMENT', `body is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  if (type.startsWith('text/')) {
    try {
      return { kind: 'text', value: utf8.decode(bytes) };
    } catch (err) {
      throw new PushmeshError('ERR_BAD_ARGUMENT', 'body is not valid UTF-8 text', { cause: err });
    }
  }
  if (type === 'application/octet-stream') return { kind: 'bytes', value: bytes };
  throw new PushmeshError('ERR_UNSUPPORTED', `content type "${type || '(none)'}" not supported: use application/json, text/plain or application/octet-stream`);
}
