import type { Command } from 'commander';
import type { CliContext } from './context.js';

/**
 * One verb of the CLI: a function that adds its command (and subcommands)
 * to the program. Each verb lives in `commands/<verb>.ts` and is listed once
 * in `commands/index.ts`. Every verb is registered at every start, so a
 * verb file imports only light modules at its top and loads heavy ones
 * (the node, signed config, identity, YAML) with `await import()` in its
 * action (docs/benchmarks.md "CLI start"; test/cli/lazy-start.test.ts).
 */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;
