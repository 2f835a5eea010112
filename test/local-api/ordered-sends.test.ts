/**
 * OrderedSends (src/local-api/resolve-send.ts): sends of one connection
 * are handed to the node in order even when some wait for a VIP6 to be
 * resolved, and a resolution that fails while an earlier one still waits
 * is no unhandled rejection (Node would end the process on one).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { NodeCore, SendRequest, SendResult } from '../../src/core/index.js';
import { PushmeshError } from '../../src/errors/index.js';
import { OrderedSends } from '../../src/local-api/resolve-send.js';

const req = (to: string): SendRequest => ({ to, topic: 't', data: { kind: 'json', value: null } }) as unknown as SendRequest;

describe('OrderedSends', () => {
  it('a failed resolution behind a slow one: answered in order, no unhandled rejection', async () => {
    const handed: string[] = [];
    const core = { send: async (r: SendRequest): Promise<SendResult> => (handed.push(r.to), { id: r.to, status: 'queued' }) } as unknown as NodeCore;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const sends = new OrderedSends(core);
      let release!: (r: SendRequest) => void;
      const slow = new Promise<SendRequest>((resolve) => (release = resolve));
      const first = sends.submit(slow);
      const second = sends.submit(Promise.reject(new PushmeshError('ERR_NOT_FOUND', 'no known node has the VIP6 address fd00::1')));
      const third = sends.submit(req('c'));
      // Let the rejection be seen by the runtime before the slow resolution ends (a macrotask: unhandled rejections are reported then).
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      release(req('a'));
      assert.deepEqual(await first, { id: 'a', status: 'queued' });
      await assert.rejects(second, /fd00::1/);
      assert.deepEqual(await third, { id: 'c', status: 'queued' });
      assert.deepEqual(handed, ['a', 'c'], 'handed to the node in the order submitted');
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
