/**
 * The identity kept in IndexedDB: CryptoKey objects are structured-
 * cloneable, so the non-extractable keys are stored as they are and the
 * page never sees their private bytes. One record per store key; two tabs
 * of one origin that start at once end up with the same identity (the
 * first `add` wins, the other reads it back).
 */
import { generateIdentity, type BrowserIdentity } from './identity.js';
import { PushmeshError } from './errors.js';
import { isNodeId, nodeIdOf } from './node-id.js';

export interface KeyStoreOptions {
  /** IndexedDB database name; default "pushmesh". */
  dbName?: string;
  /** Record key inside the "identity" object store; default "self". One page can hold several identities under other names. */
  name?: string;
}

const STORE = 'identity';
const RECORD_VERSION = 1;

interface StoredIdentity {
  v: number;
  id: string;
  publicKey: Uint8Array;
  auth: Uint8Array;
  signingKey: CryptoKey;
  ecdhKey: CryptoKey;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/** Resolves when the transaction has committed (a request's success alone does not mean the data is on disk). */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function openDb(dbName: string): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new PushmeshError('ERR_UNSUPPORTED', 'IndexedDB is not available'));
  const req = indexedDB.open(dbName, 1);
  req.onupgradeneeded = () => {
    if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
  };
  return request(req).catch((cause: unknown) => {
    throw new PushmeshError('ERR_IO', 'IndexedDB could not be opened', { cause });
  });
}

async function read(db: IDBDatabase, name: string): Promise<BrowserIdentity | undefined> {
  const rec = (await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(name))) as StoredIdentity | undefined;
  if (rec === undefined) return undefined;
  const ok =
    rec.v === RECORD_VERSION &&
    isNodeId(rec.id) &&
    rec.publicKey instanceof Uint8Array &&
    rec.auth instanceof Uint8Array &&
    rec.auth.length === 16 &&
    rec.signingKey instanceof CryptoKey &&
    rec.ecdhKey instanceof CryptoKey &&
    (await nodeIdOf(rec.publicKey)) === rec.id;
  if (!ok) throw new PushmeshError('ERR_IDENTITY_INVALID', `the identity stored in IndexedDB under "${name}" is damaged`);
  return { id: rec.id, publicKey: rec.publicKey, auth: rec.auth, signingKey: rec.signingKey, ecdhKey: rec.ecdhKey };
}

/** The identity stored in IndexedDB, or a new one made and stored (ERR_IO when IndexedDB fails, ERR_IDENTITY_INVALID for a damaged record). */
export async function loadOrCreateIdentity(opts: KeyStoreOptions = {}): Promise<BrowserIdentity> {
  const name = opts.name ?? 'self';
  const db = await openDb(opts.dbName ?? 'pushmesh');
  try {
    const existing = await read(db, name);
    if (existing) return existing;
    const fresh = await generateIdentity();
    const rec: StoredIdentity = { v: RECORD_VERSION, ...fresh };
    try {
      const tx = db.transaction(STORE, 'readwrite');
      const done = committed(tx);
      tx.objectStore(STORE).add(rec, name);
      await done;
      return fresh;
    } catch (err) {
      // Another tab stored one first: use that.
      const theirs = await read(db, name);
      if (theirs) return theirs;
      throw new PushmeshError('ERR_IO', 'the identity could not be stored in IndexedDB', { cause: err });
    }
  } finally {
    db.close();
  }
}

/** Forgets the stored identity (the node ID is gone for good). */
export async function deleteStoredIdentity(opts: KeyStoreOptions = {}): Promise<void> {
  const db = await openDb(opts.dbName ?? 'pushmesh');
  try {
    const tx = db.transaction(STORE, 'readwrite');
    const done = committed(tx);
    tx.objectStore(STORE).delete(opts.name ?? 'self');
    await done;
  } finally {
    db.close();
  }
}
