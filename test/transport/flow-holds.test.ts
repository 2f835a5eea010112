/**
 * FlowHolds (ordered flows on a link, docs/transports.md "Order"): a
 * passing refusal holds the flow for other messages until the refused
 * one is handled again, or 10 s / its TTL pass; final refusals and other
 * flows are not held.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { WebpushMessage } from '../../src/message/types.js';
import { FLOW_HOLD_MAX_MS, FlowHolds } from '../../src/transport/ads/flow-holds.js';

const msg = (id: string, from = 'o', to = 'b', ttl = 600): WebpushMessage => ({ id, from, to, ttl }) as WebpushMessage;

describe('FlowHolds', () => {
  it('holds a flow until the refused message is handled again, then lets it go', () => {
    let now = 0;
    const h = new FlowHolds(() => now);
    h.refused(msg('x'), 'no_route');
    assert.equal(h.peek(msg('y')), 'no_route');
    assert.equal(h.take(msg('y')), 'no_route');
    assert.equal(h.peek(msg('z', 'other')), null, 'another origin is another flow');
    assert.equal(h.peek(msg('z', 'o', 'c')), null, 'another destination is another flow');
    h.refused(msg('y'), 'no_route'); // refused because of the hold: the hold stays x's
    assert.equal(h.peek(msg('x')), null, 'the held message itself passes the link');
    assert.equal(h.peek(msg('y')), 'no_route', 'peek does not lift the hold');
    assert.equal(h.take(msg('x')), null);
    assert.equal(h.peek(msg('y')), null, 'handled again: lifted');
  });

  it('final refusals hold nothing; a hold lifts after 10 s or the TTL', () => {
    let now = 0;
    const h = new FlowHolds(() => now);
    h.refused(msg('x'), 'bad_message');
    assert.equal(h.peek(msg('y')), null);
    h.refused(msg('x'), 'queue_full');
    now = FLOW_HOLD_MAX_MS - 1;
    assert.equal(h.peek(msg('y')), 'queue_full');
    now = FLOW_HOLD_MAX_MS;
    assert.equal(h.peek(msg('y')), null);
    h.refused(msg('short', 'o', 'b', 2), 'queue_full');
    now += 1999;
    assert.equal(h.peek(msg('y')), 'queue_full');
    now += 1;
    assert.equal(h.peek(msg('y')), null, 'a 2 s TTL holds 2 s');
  });

  it('a flow never lets a later message through while an earlier refused one has not come again (property)', () => {
    // Ops on one flow: refuse the current head with a passing reason, or try to hand over message k.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(5)), { maxLength: 60 }), (ops) => {
        const h = new FlowHolds(() => 0);
        let held: string | null = null;
        for (const [refuse, k] of ops) {
          const m = msg(`m${k}`);
          if (refuse) {
            const before = h.take(m);
            if (before) continue; // refused by the hold: nothing changes
            h.refused(m, 'queue_full');
            held = m.id;
          } else {
            const r = h.take(m);
            if (held === null) assert.equal(r, null);
            else if (held === m.id) {
              assert.equal(r, null);
              held = null;
            } else assert.equal(r, 'queue_full');
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
