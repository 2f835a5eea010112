import { strict as assert } from 'node:assert';
import type { ErrorCode } from '../../src/errors/index.js';
import { isPushmeshError } from '../../src/errors/index.js';

/**
 * Runs `fn` on outside input: it may return, or throw a PushmeshError with
 * one of `codes`; anything else (a TypeError, a RangeError, another code)
 * fails the property. Returns the value or the typed error.
 */
export function onlyTyped<T>(codes: readonly ErrorCode[], fn: () => T): { ok: true; value: T } | { ok: false; code: ErrorCode; message: string } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    assert.ok(isPushmeshError(err), `threw a ${(err as Error)?.constructor?.name}, not a PushmeshError: ${String(err)}`);
    assert.ok(codes.includes(err.code), `unexpected code ${err.code}: ${err.message}`);
    assert.ok(err.message.length > 0 && !err.message.includes('\n    at '), 'message must be one clear line');
    return { ok: false, code: err.code, message: err.message };
  }
}

/** Printable header text as Node's HTTP client accepts it (tab, 0x20-0x7e, 0x80-0xff). */
export const HEADER_CHARS = [...'\t', ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)), ...Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i))];
