import { homedir as osHomedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Default home folder name under the user's home directory. */
export const DEFAULT_HOME_NAME = '.pushmesh';

export interface ResolveHomeOptions {
  /** The `--home DIR` flag, if given. Beats the environment. */
  readonly flag?: string | undefined;
  /** Environment to read `PUSHMESH_HOME` from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** The user's home directory (default `os.homedir()`). */
  readonly homedir?: string;
}

/**
 * The node's home folder: `--home DIR` > `$PUSHMESH_HOME` > `~/.pushmesh`.
 * Empty values count as unset; a leading `~/` is expanded (an environment
 * variable set in a config file does not go through a shell). Returns an
 * absolute path; nothing is created.
 */
export function resolveHome(options: ResolveHomeOptions = {}): string {
  const env = options.env ?? process.env;
  const user = options.homedir ?? osHomedir();
  const chosen = nonEmpty(options.flag) ?? nonEmpty(env['PUSHMESH_HOME']);
  if (chosen === undefined) return join(user, DEFAULT_HOME_NAME);
  if (chosen === '~') return user;
  if (chosen.startsWith('~/')) return join(user, chosen.slice(2));
  return resolve(chosen);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
