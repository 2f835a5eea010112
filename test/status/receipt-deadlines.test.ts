import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { openDatabase } from '../../src/store/database.js';
import { NO_RECEIPT_REASON, ReceiptDeadlines } from '../../src/status/receipt-deadlines.js';
import { StatusStore } from '../../src/status/status-store.js';
import { turnWriterOf } from '../../src/store/turn-writer.js';
import type { DeliveryStatus } from '../../src/core/delivery-status.js';

describe('ReceiptDeadlines (origin side: no receipt by the TTL)', () => {
  it('marks a sent message expired when its TTL has run out without a receipt; a late receipt still wins', async () => {
    const db = openDatabase('', ':memory:');
    const store = new StatusStore(db);
    const deadlines = new ReceiptDeadlines(store, { graceMs: 10 });
    const alive = setInterval(() => undefined, 1000); // the deadline timer is unref'd
    const now = Date.now();
    store.create('m1', 'dest', true, now + 50);
    deadlines.watch('m1', now + 50);
    store.create('m2', 'dest', true, now + 50);
    deadlines.watch('m2', now + 50);
    store.update('m1', 'sent');
    // m2 never leaves the origin: its outbox reports it (not the deadline).
    const [changed] = (await once(store, 'change')) as [DeliveryStatus];
    assert.deepEqual({ id: changed.id, state: changed.state, reason: changed.reason }, { id: 'm1', state: 'expired', reason: NO_RECEIPT_REASON });
    assert.equal(store.get('m2')?.state, 'queued');
    assert.equal(store.update('m1', 'delivered')?.state, 'delivered', 'a receipt is proof');
    assert.equal(store.update('m1', 'expired'), undefined, 'nothing moves a delivered message');
    deadlines.close();
    clearInterval(alive);
    db.close();
  });

  it('picks up the messages still waiting for a receipt after a restart', async () => {
    const db = openDatabase('', ':memory:');
    const store = new StatusStore(db);
    const now = Date.now();
    store.create('old', 'dest', true, now + 30);
    store.update('old', 'sent');
    store.create('no-receipt', 'dest', false, now + 30);
    store.update('no-receipt', 'sent');
    const alive = setInterval(() => undefined, 1000);
    turnWriterOf(db).flush(); // as the node does when it stops (statuses wait ≤ 10 ms for their commit otherwise)
    const reloaded = new StatusStore(db);
    const deadlines = new ReceiptDeadlines(reloaded, { graceMs: 0 });
    const [changed] = (await once(reloaded, 'change')) as [DeliveryStatus];
    assert.deepEqual([changed.id, changed.state], ['old', 'expired']);
    clearInterval(alive);
    assert.equal(reloaded.get('no-receipt')?.state, 'sent', 'without a receipt asked, nobody can tell: it stays sent');
    deadlines.close();
    db.close();
  });
});
