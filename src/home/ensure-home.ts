import { mkdir } from 'node:fs/promises';
import { PushmeshError } from '../errors/index.js';
import { homeLayout, type HomeLayout } from './layout.js';

/** Mode of the home folder and its sub-folders when pushmesh creates them. */
export const HOME_DIR_MODE = 0o700;

/**
 * Create the home folder (and `peers/`) if missing, mode 0700. An existing
 * folder is left as it is.
 */
export async function ensureHome(root: string): Promise<HomeLayout> {
  const layout = homeLayout(root);
  try {
    await mkdir(layout.root, { recursive: true, mode: HOME_DIR_MODE });
    await mkdir(layout.peersDir, { recursive: true, mode: HOME_DIR_MODE });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // mkdir says EEXIST for a file in the way, ENOTDIR for a file above it.
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new PushmeshError('ERR_IO', `cannot use home folder ${root} (ENOTDIR: it, or a folder above it, is a file)`, { cause: err });
    throw new PushmeshError('ERR_IO', `cannot create home folder ${root}: ${(err as Error).message}`, { cause: err });
  }
  return layout;
}
