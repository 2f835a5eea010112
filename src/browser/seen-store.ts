/**
 * The (origin, message ID) pairs a tab took, kept in IndexedDB for as
 * long as a message can be valid (its time + 24 h 10 min), so that a
 * copy a relay hands over again after a reload is dropped as it is on a
 * node (docs/routing.md "Exactly once for apps"). Database
 * `<dbName>-seen`, object store `seen`; at most MAX_SEEN entries (the
 * oldest go). Written before the message is ACKed. Without IndexedDB
 * the filter is the page load's own (in memory).
 */
const STORE = 'seen';
export const MAX_SEEN = 10_000;
export const SEEN_WINDOW_MS = 24 * 3600_000 + 10 * 60_000;

export interface SeenEntry {
  from: string;
  id: string;
  /** The message's time (Unix ms). */
  time: number;
}

export interface SeenStore {
  /** The entries still within the window, oldest first (older ones are deleted). */
  load(now?: number): Promise<SeenEntry[]>;
  add(entries: SeenEntry[]): Promise<void>;
  close(): void;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** Opens `<dbName>-seen`; null when IndexedDB is not there or cannot be opened. */
export async function openSeenStore(dbName: string): Promise<SeenStore | null> {
  if (typeof indexedDB === 'undefined') return null;
  let db: IDBDatabase;
  try {
    const open = indexedDB.open(`${dbName}-seen`, 1);
    open.onupgradeneeded = () => {
      if (!open.result.objectStoreNames.contains(STORE)) open.result.createObjectStore(STORE, { keyPath: 'k' });
    };
    db = await request(open);
  } catch {
    return null;
  }
  let count = 0;
  const store: SeenStore = {
    async load(now = Date.now()): Promise<SeenEntry[]> {
      const rows = (await request(db.transaction(STORE, 'readonly').objectStore(STORE).getAll())) as Array<SeenEntry & { k: string }>;
      rows.sort((a, b) => a.time - b.time);
      const keep = rows.filter((r) => r.time >= now - SEEN_WINDOW_MS).slice(-MAX_SEEN);
      const drop = rows.length - keep.length;
      if (drop > 0) {
        const keepKeys = new Set(keep.map((r) => r.k));
        const tx = db.transaction(STORE, 'readwrite');
        for (const r of rows) if (!keepKeys.has(r.k)) tx.objectStore(STORE).delete(r.k);
        await done(tx);
      }
      count = keep.length;
      return keep.map((r) => ({ from: r.from, id: r.id, time: r.time }));
    },
    async add(entries: SeenEntry[]): Promise<void> {
      if (entries.length === 0) return;
      const tx = db.transaction(STORE, 'readwrite');
      const os = tx.objectStore(STORE);
      for (const e of entries) os.put({ k: `${e.from}/${e.id}`, from: e.from, id: e.id, time: e.time });
      await done(tx);
      count += entries.length;
      // Over the bound: the next page load's load() trims to the newest MAX_SEEN; within one page load the memory filter holds.
      if (count > MAX_SEEN * 2) await store.load();
    },
    close(): void {
      db.close();
    },
  };
  return store;
}
