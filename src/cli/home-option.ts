import type { Command } from 'commander';
import { resolveHome } from '../home/resolve-home.js';
import type { CliContext } from './context.js';

/** Add the `--home DIR` option that every verb takes. */
export function withHomeOption(command: Command): Command {
  return command.option('--home <dir>', 'home folder (default: $PUSHMESH_HOME or ~/.pushmesh)');
}

/** The home folder for a verb: `--home` > `$PUSHMESH_HOME` > `~/.pushmesh`. */
export function homeFrom(options: { home?: string }, ctx: CliContext): string {
  return resolveHome({ flag: options.home, env: ctx.env });
}
