import { strict as assert } from 'node:assert';
import type { ErrorCode } from '../../src/errors/index.js';
import { isPushmeshError } from '../../src/errors/index.js';

/** assert.rejects/throws matcher: a PushmeshError with `code` whose message matches `message`. */
export function pushmeshError(code: ErrorCode, message?: RegExp): (err: unknown) => true {
  return (err: unknown) => {
    assert.ok(isPushmeshError(err), `expected a PushmeshError, got ${String(err)}`);
    assert.equal(err.code, code, `code of: ${err.message}`);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  };
}
