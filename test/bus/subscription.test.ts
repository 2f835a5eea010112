/**
 * One subscriber's buffer (Subscription): `takeReady` hands out, without
 * waiting, what is ready now — replayed events first, then live ones, in
 * seq order, each once and each reported as handed out — so a stream that
 * woke for one event writes the others of the same turn with it.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Subscription } from '../../src/bus/subscription.js';
import type { LocalEvent } from '../../src/bus/types.js';
import type { Message } from '../../src/message/types.js';

function ev(seq: number, topic = 't'): LocalEvent {
  const message: Message = { id: `m${seq}`, from: 'a'.repeat(52), to: '', topic, time: 1_800_000_000_000 + seq, ttl: 60, urgency: 'normal', meta: {}, data: { kind: 'json', value: seq } };
  return { seq, message };
}

function subscription(limit = 10): { sub: Subscription; handedOut: number[]; ended: Subscription[] } {
  const handedOut: number[] = [];
  const ended: Subscription[] = [];
  const sub = new Subscription(null, limit, (s) => ended.push(s), (e) => handedOut.push(e.seq));
  return { sub, handedOut, ended };
}

/** Everything ready now, through takeReady. */
function drain(sub: Subscription): number[] {
  const out: number[] = [];
  for (let e = sub.takeReady(); e; e = sub.takeReady()) out.push(e.seq);
  return out;
}

describe('Subscription.takeReady', () => {
  it('gives nothing when nothing is ready, then the live events in order, each handed out once', () => {
    const { sub, handedOut } = subscription();
    assert.equal(sub.takeReady(), undefined);
    for (const s of [1, 2, 3]) sub.push(ev(s));
    assert.deepEqual(drain(sub), [1, 2, 3]);
    assert.deepEqual(handedOut, [1, 2, 3]);
    assert.equal(sub.takeReady(), undefined);
  });

  it('a consumer woken by next() takes the rest of the turn with takeReady: all of them, in order, none twice', async () => {
    const { sub, handedOut } = subscription();
    const first = sub.next(); // waiting, as a stream is between turns
    for (const s of [5, 6, 7, 8]) sub.push(ev(s));
    const got = await first;
    assert.equal(got.done, false);
    assert.deepEqual([got.value!.seq, ...drain(sub)], [5, 6, 7, 8]);
    assert.deepEqual(handedOut, [5, 6, 7, 8]);
    sub.push(ev(9));
    assert.deepEqual((await sub.next()).value?.seq, 9);
  });

  it('replayed events come first, then live ones; a live event the replay already had is not given twice', () => {
    const { sub, handedOut } = subscription();
    sub.replay([ev(1), ev(2), ev(3)]);
    sub.push(ev(3)); // stored while the replay was read: already in it
    sub.push(ev(4));
    assert.equal(sub.takeReady()?.seq, 1);
    assert.deepEqual(drain(sub), [2, 3, 4]);
    assert.deepEqual(handedOut, [1, 2, 3, 4]);
  });

  it('mixes with next() without losing or repeating an event', async () => {
    const { sub } = subscription();
    sub.replay([ev(1), ev(2)]);
    for (const s of [3, 4, 5]) sub.push(ev(s));
    const seen: number[] = [];
    seen.push((await sub.next()).value!.seq);
    seen.push(sub.takeReady()!.seq);
    seen.push((await sub.next()).value!.seq);
    seen.push(...drain(sub));
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  });

  it('a slow consumer is still cut off at its limit; an ended subscription gives nothing more', async () => {
    const { sub, ended } = subscription(3);
    for (const s of [1, 2, 3]) sub.push(ev(s));
    assert.equal(sub.isEnded, false);
    sub.push(ev(4)); // the fourth unread event: over the limit
    assert.equal(sub.isEnded, true);
    assert.deepEqual(await sub.ended(), { reason: 'slow consumer', buffered: 3 });
    assert.deepEqual(ended, [sub]);
    assert.equal(sub.takeReady(), undefined);
    assert.equal((await sub.next()).done, true);
  });

  it('taking events frees their room in the buffer', () => {
    const { sub } = subscription(3);
    for (const s of [1, 2, 3]) sub.push(ev(s));
    assert.deepEqual(drain(sub), [1, 2, 3]);
    for (const s of [4, 5, 6]) sub.push(ev(s));
    assert.equal(sub.isEnded, false);
    assert.deepEqual(drain(sub), [4, 5, 6]);
  });
});
