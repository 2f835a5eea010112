/**
 * The cards a tab was given (`addCard`), kept in IndexedDB so a reloaded
 * page can still seal to those nodes and send them receipts. A database
 * of its own (`<dbName>-cards`, object store `cards`, keyed by node ID),
 * beside the identity's. Cards are public; they are validated again when
 * read back. Without IndexedDB (or when it fails) cards live in memory
 * for the page load only.
 */
import { parseCard, type Card } from './core/card.js';

const STORE = 'cards';
/** Cards kept at most; the oldest written are dropped beyond it. */
export const MAX_STORED_CARDS = 1_000;

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

export interface CardStore {
  /** Every card stored, validated (a record that no longer validates is skipped). */
  all(): Promise<Card[]>;
  put(card: Card): Promise<void>;
  close(): void;
}

/** Opens `<dbName>-cards`; resolves with null when IndexedDB is not there or cannot be opened. */
export async function openCardStore(dbName: string): Promise<CardStore | null> {
  if (typeof indexedDB === 'undefined') return null;
  let db: IDBDatabase;
  try {
    const open = indexedDB.open(`${dbName}-cards`, 1);
    open.onupgradeneeded = () => {
      if (!open.result.objectStoreNames.contains(STORE)) open.result.createObjectStore(STORE, { keyPath: 'id' });
    };
    db = await request(open);
  } catch {
    return null;
  }
  return {
    async all(): Promise<Card[]> {
      const rows = (await request(db.transaction(STORE, 'readonly').objectStore(STORE).getAll())) as Array<{ id: string; card: unknown; at: number }>;
      rows.sort((a, b) => a.at - b.at);
      const cards: Card[] = [];
      for (const r of rows.slice(-MAX_STORED_CARDS)) {
        try {
          cards.push(await parseCard(r.card));
        } catch {
          /* a record that does not validate is not used */
        }
      }
      return cards;
    },
    async put(card: Card): Promise<void> {
      const store = db.transaction(STORE, 'readwrite').objectStore(STORE);
      await request(store.put({ id: card.id, card, at: Date.now() }));
      const count = await request(db.transaction(STORE, 'readonly').objectStore(STORE).count());
      if (count > MAX_STORED_CARDS) {
        const rows = (await request(db.transaction(STORE, 'readonly').objectStore(STORE).getAll())) as Array<{ id: string; at: number }>;
        rows.sort((a, b) => a.at - b.at);
        const del = db.transaction(STORE, 'readwrite').objectStore(STORE);
        for (const r of rows.slice(0, count - MAX_STORED_CARDS)) del.delete(r.id);
      }
    },
    close(): void {
      db.close();
    },
  };
}
