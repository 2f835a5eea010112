import { chmod, lstat, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { homeLayout } from './layout.js';

/** Mode of every file the node writes under its home: keys, certificate, cards, store, lock. */
export const HOME_FILE_MODE = 0o600;
/** Mode of the home folder and the folders in it. */
export const HOME_FOLDER_MODE = 0o700;
/** The store and the files SQLite keeps next to it (write-ahead log, shared memory). */
export const STORE_FILES = ['pushmesh.db', 'pushmesh.db-wal', 'pushmesh.db-shm', 'pushmesh.db-journal'] as const;

/** A file or folder under the home that group or others could read, and what was done about it. */
export interface LooseEntry {
  path: string;
  /** Permission bits found (e.g. 0o644). */
  mode: number;
  /** Mode it should have. */
  wanted: number;
  /** Whether it was set to `wanted`; false with `error` when that failed or was not tried. */
  fixed: boolean;
  error?: string;
}

export interface CheckModesOptions {
  /** Set loose entries to their mode (default true). */
  fix?: boolean;
  /** Files left alone (the key file: loadIdentity refuses a loose one, the operator decides). */
  skip?: readonly string[];
}

/**
 * Checks what the node keeps under `home` (docs/configuration.md, "Home
 * folder"): the folder itself and `peers/` (0700), the key, auth secret,
 * certificate, peer cards, store files and lock (0600). Only those: a
 * home folder shared with other files is not walked. Anything with group
 * or other bits is reported and, unless `fix` is false, set to its mode
 * (the home folder itself is never changed when it is the user's own home
 * directory). Symbolic links are not followed.
 */
export async function checkHomeModes(home: string, opts: CheckModesOptions = {}): Promise<LooseEntry[]> {
  const fix = opts.fix ?? true;
  const skip = new Set(opts.skip ?? []);
  const layout = homeLayout(home);
  const entries: { path: string; wanted: number }[] = [
    { path: layout.root, wanted: HOME_FOLDER_MODE },
    { path: layout.peersDir, wanted: HOME_FOLDER_MODE },
    { path: layout.keyFile, wanted: HOME_FILE_MODE },
    { path: layout.authFile, wanted: HOME_FILE_MODE },
    { path: layout.certFile, wanted: HOME_FILE_MODE },
    { path: join(home, 'pushmesh.lock'), wanted: HOME_FILE_MODE },
    ...STORE_FILES.map((f) => ({ path: join(home, f), wanted: HOME_FILE_MODE })),
  ];
  try {
    for (const name of await readdir(layout.peersDir)) if (name.endsWith('.json')) entries.push({ path: join(layout.peersDir, name), wanted: HOME_FILE_MODE });
  } catch {
    // no peers folder yet
  }
  const loose: LooseEntry[] = [];
  for (const e of entries) {
    if (skip.has(e.path)) continue;
    let mode: number;
    try {
      const st = await lstat(e.path);
      if (st.isSymbolicLink()) continue;
      mode = st.mode & 0o777;
    } catch {
      continue; // not there (yet)
    }
    if ((mode & 0o077) === 0) continue;
    const entry: LooseEntry = { path: e.path, mode, wanted: e.wanted, fixed: false };
    if (fix && !(e.path === layout.root && resolve(home) === resolve(homedir()))) {
      try {
        await chmod(e.path, e.wanted);
        entry.fixed = true;
      } catch (err) {
        entry.error = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      }
    } else if (fix) {
      entry.error = 'it is the user home directory; left as it is';
    }
    loose.push(entry);
  }
  return loose;
}

/** `0o644` → `"0644"`. */
export function octalMode(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}
