/**
 * The inbox when a message cannot be stored (a full disk): never an ACK
 * for what was not stored. A copy that arrives while the first is still
 * being stored gets the first one's answer; a message refused for a full
 * store is taken back from the replay guard, in memory and on disk, so
 * its retry — also after a restart — is taken as new.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { PushmeshError } from '../../src/errors/index.js';
import { Inbox } from '../../src/inbox/inbox.js';
import { ReplayGuard } from '../../src/inbox/replay-guard.js';
import { linkAudience, newMessageId, sealMessage, type Message } from '../../src/message/index.js';
import { openDatabase } from '../../src/store/database.js';
import { makeNode } from '../message/nodes.js';
import { tempDir } from '../helpers/temp-dir.js';

const [alice, bob] = [makeNode(), makeNode()];

describe('inbox and a full store', () => {
  it('a copy arriving while the first is stored gets its outcome; a refused one is new again, also after a restart', async (t) => {
    const dir = await tempDir(t);
    let db = openDatabase(dir);
    let guard = new ReplayGuard({ db });
    let full = true;
    const delivered: Message[] = [];
    let release!: () => void;
    let entered!: () => void;
    let checked: (() => void) | undefined;
    const nextEntry = (): Promise<void> => new Promise((r) => (entered = r));
    const inbox = (): Inbox =>
      new Inbox({
        self: bob.id,
        decrypter: bob.receiver.decrypter,
        verifier: bob.receiver.verifier,
        senderMac: bob.mac,
        replay: { check: (...a) => ((v) => (checked?.(), v))(guard.check(...a)), retract: (...a) => guard.retract(...a) },
        deliver: async (m) => {
          const gate = new Promise<void>((r) => (release = r));
          entered();
          await gate;
          if (full) throw new PushmeshError('ERR_STORAGE_FULL', 'disk full');
          delivered.push(m);
        },
        logger: pino({ level: 'silent' }),
      });
    const wire = await sealMessage({ id: newMessageId(), from: alice.id, to: bob.id, topic: 't', time: Date.now(), ttl: 60, urgency: 'normal', meta: {}, data: { kind: 'json', value: 1 } }, bob.card, alice.signer, { senderMac: alice.mac });
    const accept = (i: Inbox) => i.accept({ wire, via: 'link', audiences: [linkAudience(bob.id)] });

    let box = inbox();
    let inDeliver = nextEntry();
    const first = accept(box);
    await inDeliver;
    const copyChecked = new Promise<void>((r) => (checked = r));
    const copy = accept(box); // while the first is being stored
    await copyChecked; // the copy's replay check said duplicate: it now waits for the first one's outcome
    checked = undefined;
    release();
    const [r1, r2] = await Promise.all([first, copy]);
    assert.equal(r1.kind, 'refused');
    assert.equal(r2.kind, 'refused', 'the copy is not ACKed as a duplicate of a message that was not stored');
    assert.equal(r1.kind === 'refused' && r1.reason, 'storage_full');

    // The node restarts before the sender tries again: the take-back was written too.
    guard.close();
    db.close();
    db = openDatabase(dir);
    guard = new ReplayGuard({ db });
    full = false;
    box = inbox();
    inDeliver = nextEntry();
    const retry = accept(box);
    await inDeliver;
    release();
    assert.equal((await retry).kind, 'delivered');
    assert.equal(delivered.length, 1);
    // And now it is a duplicate.
    assert.equal((await accept(box)).kind, 'duplicate');
    guard.close();
    db.close();
  });
});
