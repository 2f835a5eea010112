/**
 * A tab's outgoing messages that the relay has not taken yet, kept in
 * IndexedDB (`<dbName>-outbox-<name>`, object store `queue`), so a page
 * closed or reloaded while its relay was away sends them when it is back.
 * Each is stored sealed (the WebpushMessage bytes) when `send()` queues
 * it and removed when the relay ACKs it, refuses it for good, or its TTL
 * ends. Without IndexedDB the queue is the page load's own.
 */
const STORE = 'queue';

export interface StoredOutgoing {
  id: string;
  to: string;
  bytes: Uint8Array;
  expiresAt: number;
  receipt: boolean;
  /** Order of queueing. */
  seq: number;
}

export interface OutboxStore {
  /** What waits, oldest first. */
  all(): Promise<StoredOutgoing[]>;
  put(m: StoredOutgoing): Promise<void>;
  remove(id: string): Promise<void>;
  close(): void;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/** Opens the outbox of identity `name` in `dbName`; null when IndexedDB is not there or cannot be opened. */
export async function openOutboxStore(dbName: string, name: string): Promise<OutboxStore | null> {
  if (typeof indexedDB === 'undefined') return null;
  let db: IDBDatabase;
  try {
    const open = indexedDB.open(`${dbName}-outbox-${name}`, 1);
    open.onupgradeneeded = () => {
      if (!open.result.objectStoreNames.contains(STORE)) open.result.createObjectStore(STORE, { keyPath: 'id' });
    };
    db = await request(open);
  } catch {
    return null;
  }
  return {
    async all(): Promise<StoredOutgoing[]> {
      const rows = (await request(db.transaction(STORE, 'readonly').objectStore(STORE).getAll())) as StoredOutgoing[];
      return rows
        .filter((r) => typeof r.id === 'string' && typeof r.to === 'string' && r.bytes instanceof Uint8Array && typeof r.expiresAt === 'number')
        .sort((a, b) => a.seq - b.seq);
    },
    async put(m: StoredOutgoing): Promise<void> {
      await request(db.transaction(STORE, 'readwrite').objectStore(STORE).put(m));
    },
    async remove(id: string): Promise<void> {
      await request(db.transaction(STORE, 'readwrite').objectStore(STORE).delete(id));
    },
    close(): void {
      db.close();
    },
  };
}
