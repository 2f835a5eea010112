import { OutboxStore } from '../../src/outbox/outbox-store.js';
import type { OutboxEntry } from '../../src/outbox/types.js';
import type { DeliveryResult } from '../../src/core/delivery.js';
import { openDatabase } from '../../src/store/database.js';
import { tempDir } from '../helpers/temp-dir.js';

/** An outbox on a real SQLite file in a temp folder, and a way to queue a message. */
export async function outboxSetup(t: { after(fn: () => unknown): void }) {
  // The dispatcher's timers are unref'd (a node's servers keep it alive); the test keeps the loop alive instead.
  const keepAlive = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(keepAlive));
  const db = openDatabase(await tempDir(t));
  t.after(() => db.close());
  const store = new OutboxStore(db, { maxEntries: 1000 });
  const add = (id: string, dest: string, expiresAt = Date.now() + 60_000) =>
    store.enqueue({ id, dest, replace: null, urgency: 'normal', expiresAt, wire: Buffer.from(id) }, Date.now());
  return { store, add };
}

/** A delivery function whose attempts stay open until the test settles them; `until(n)` waits for n open ones. */
export function gate() {
  const open: { entry: OutboxEntry; signal: AbortSignal; settle: (r: DeliveryResult) => void }[] = [];
  const waiters: (() => void)[] = [];
  const deliver = (entry: OutboxEntry, signal: AbortSignal) =>
    new Promise<DeliveryResult>((settle) => {
      open.push({ entry, signal, settle });
      for (const w of waiters.splice(0)) w();
    });
  const until = async (n: number) => {
    while (open.length < n) await new Promise<void>((r) => waiters.push(r));
  };
  return { open, deliver, until };
}
