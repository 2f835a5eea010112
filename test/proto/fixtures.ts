import { randomBytes } from 'node:crypto';
import { strict as assert } from 'node:assert';
import { PushmeshError } from '../../src/errors/index.js';
import { nodeIdFromPublicKey } from '../../src/identity/node-id.js';
import type { WebpushMessage } from '../../src/message/types.js';

/** A node ID for tests (the key need not be on the curve to name a node). */
export function randomNodeId(): string {
  return nodeIdFromPublicKey(Buffer.concat([Buffer.from([4]), randomBytes(64)]));
}

export function sampleWire(overrides: Partial<WebpushMessage> = {}): WebpushMessage {
  return {
    id: 'AAECAwQFBgcICQoLDA0ODw',
    from: randomNodeId(),
    to: randomNodeId(),
    ttl: 3600,
    urgency: 'high',
    replace: 'scores',
    time: 1_700_000_000_123,
    path: [randomNodeId()],
    via: [],
    hopLimit: 15,
    receipt: true,
    authorization: 'vapid t=eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.e30.sig, k=BAAA',
    body: randomBytes(300),
    ...overrides,
  };
}

/** Runs fn; it may return, or throw PushmeshError ERR_BAD_MESSAGE — nothing else. */
export function onlyBadMessage(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PushmeshError, `threw a non-PushmeshError: ${String(err)}`);
    assert.equal(err.code, 'ERR_BAD_MESSAGE', `threw ${err.code}: ${err.message}`);
  }
}

/** Asserts fn throws PushmeshError with `code`; returns the error. */
export function throwsCode(fn: () => unknown, code: string): PushmeshError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PushmeshError, `expected PushmeshError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}

/** Same as throwsCode for promises. */
export async function rejectsCode(promise: Promise<unknown>, code: string): Promise<PushmeshError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof PushmeshError, `expected PushmeshError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}
