import type { Command } from 'commander';
import type { CliContext } from './context.js';

/**
 * One verb of the CLI: a function that adds its command (and subcommands)
 * to the program. Each verb lives in `commands/<verb>.ts` and is listed once
 * in `commands/index.ts`.
 */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;
