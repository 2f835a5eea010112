import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode, set when the temporary file is created (never wider later). */
  readonly mode: number;
  /**
   * Replace an existing file (default true). With false, an existing file
   * makes the write fail with an `EEXIST` error, atomically: two writers
   * racing for the same path cannot both win.
   */
  readonly overwrite?: boolean;
}

/**
 * Write a file so readers see either the old content or the new, never a
 * part: write and fsync a temporary file in the same folder, created with
 * its final mode, then rename (or hard-link, when not overwriting) it into
 * place. Errors are Node's own (`EEXIST`, `EACCES`, …) for the caller to map.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', options.mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.overwrite === false) {
      await link(temp, path);
      await unlink(temp);
    } else {
      await rename(temp, path);
    }
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
