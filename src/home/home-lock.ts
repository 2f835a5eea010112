import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PushmeshError } from '../errors/index.js';
import { HOME_FILE_MODE } from './home-modes.js';

/** The lock file in the home folder: the PID of the process running a node on it. */
export const LOCK_FILE = 'pushmesh.lock';
/** Held only for the instant a stale lock is replaced, so two takers cannot both win. */
const TAKEOVER_FILE = 'pushmesh.lock.takeover';
/** A takeover file older than this was left by a process that died mid-takeover. */
const TAKEOVER_STALE_MS = 10_000;

/** Homes locked by this process (a second node in the same process is refused too). */
const heldHere = new Set<string>();

export interface HomeLock {
  readonly path: string;
  /** PID of a dead process whose lock this one took over, if any. */
  readonly tookOverFrom: number | null;
  /** Removes the lock file (if it is still ours). Idempotent, synchronous (safe in a close path about to exit). */
  release(): void;
}

export interface AcquireOptions {
  /** What wants the home, for the refusal message ("run a node", "replace the identity"). */
  purpose?: string;
  /** Whether a PID is a live process (tests inject it). */
  isAlive?: (pid: number) => boolean;
}

/** Whether a process with this PID exists (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The PID recorded in a home's lock file, or null (no lock file, or not a PID). */
export async function readLockPid(home: string): Promise<number | null> {
  try {
    const text = await readFile(join(home, LOCK_FILE), 'utf8');
    const pid = Number.parseInt(text.trim().split(/\s+/)[0] ?? '', 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PushmeshError('ERR_IO', `cannot read lock file in ${home}: ${(err as Error).message}`, { cause: err });
  }
}

function lockedError(home: string, pid: number, purpose: string): PushmeshError {
  return new PushmeshError('ERR_UNAVAILABLE', `home folder ${home} is in use by another pushmesh (PID ${pid}); cannot ${purpose} while it runs`);
}

/**
 * Takes the lock on a home folder (docs/configuration.md, "Home folder"):
 * creates `pushmesh.lock` holding this PID, atomically (created only if
 * absent). A lock whose PID is a live process (or a node in this same
 * process) refuses with ERR_UNAVAILABLE naming the PID; a lock left by a
 * process that exited (or holding no PID) is taken over.
 */
export async function acquireHomeLock(home: string, opts: AcquireOptions = {}): Promise<HomeLock> {
  const purpose = opts.purpose ?? 'run a node';
  const isAlive = opts.isAlive ?? processAlive;
  const path = join(home, LOCK_FILE);
  const content = `${process.pid}\n`;
  if (heldHere.has(path)) throw lockedError(home, process.pid, purpose);
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx', HOME_FILE_MODE);
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      return held(path, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new PushmeshError('ERR_IO', `cannot create lock file ${path}: ${(err as Error).message}`, { cause: err });
    }
    const pid = await readLockPid(home);
    if (pid !== null && pid !== process.pid && isAlive(pid)) throw lockedError(home, pid, purpose);
    if (attempt >= 5) throw new PushmeshError('ERR_UNAVAILABLE', `cannot take the lock on home folder ${home}: it keeps changing`);
    // Stale (dead PID, our own PID from an earlier life, or no PID): replace it, one taker at a time.
    const took = await takeOver(home, path, pid, content, isAlive);
    if (took === 'taken') return held(path, pid);
    if (took === 'busy') await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
  }
}

/** Replaces a stale lock holding `stalePid` by ours, under the takeover file. */
async function takeOver(home: string, path: string, stalePid: number | null, content: string, isAlive: (pid: number) => boolean): Promise<'taken' | 'busy' | 'changed'> {
  const guard = join(home, TAKEOVER_FILE);
  try {
    await (await open(guard, 'wx', HOME_FILE_MODE)).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new PushmeshError('ERR_IO', `cannot create ${guard}: ${(err as Error).message}`, { cause: err });
    const age = await stat(guard).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > TAKEOVER_STALE_MS) await unlink(guard).catch(() => undefined);
    return 'busy';
  }
  try {
    const now = await readLockPid(home);
    if (now !== stalePid || (now !== null && now !== process.pid && isAlive(now))) return 'changed';
    const temp = join(home, `.${LOCK_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', HOME_FILE_MODE);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    return 'taken';
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function held(path: string, tookOverFrom: number | null): HomeLock {
  heldHere.add(path);
  let released = false;
  return {
    path,
    tookOverFrom,
    release(): void {
      if (released) return;
      released = true;
      heldHere.delete(path);
      try {
        const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
        if (pid === process.pid) unlinkSync(path);
      } catch {
        // gone already
      }
    },
  };
}
