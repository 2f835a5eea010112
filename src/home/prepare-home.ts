import type { Logger } from 'pino';
import { ensureHome } from './ensure-home.js';
import { acquireHomeLock, type HomeLock } from './home-lock.js';
import { checkHomeModes, octalMode } from './home-modes.js';
import { homeLayout } from './layout.js';

/**
 * What a node does with its home folder before anything else: creates it
 * (0700), takes its lock (a second node on it is refused with the PID of
 * the first; the lock of a process that exited is taken over, logged), and
 * checks the modes of what it keeps there: anything group or others could
 * read is logged as a warning and set to 0600/0700. The key file is left to
 * loadIdentity, which refuses a loose one (the key may have leaked: the
 * operator decides).
 */
export async function prepareHome(home: string, logger: Logger): Promise<HomeLock> {
  await ensureHome(home);
  const lock = await acquireHomeLock(home);
  try {
    if (lock.tookOverFrom !== null) logger.warn({ home, pid: lock.tookOverFrom }, 'took over the home folder lock of a pushmesh process that is no longer running');
    const loose = await checkHomeModes(home, { skip: [homeLayout(home).keyFile] });
    for (const e of loose) {
      const what = { path: e.path, mode: octalMode(e.mode), wanted: octalMode(e.wanted) };
      if (e.fixed) logger.warn(what, `${e.path} was readable by group or others (mode ${what.mode}); set it to ${what.wanted}`);
      else logger.warn({ ...what, reason: e.error }, `${e.path} is readable by group or others (mode ${what.mode}) and could not be set to ${what.wanted}: ${e.error}`);
    }
  } catch (err) {
    lock.release();
    throw err;
  }
  return lock;
}
