import { Command } from 'commander';
import { commands } from './commands/index.js';
import type { CliContext } from './context.js';
import { ExitCode } from './exit-codes.js';
import { reportError } from './report-error.js';

/** The `pushmesh` command with every verb registered; exits are thrown, never taken. */
export function createProgram(ctx: CliContext, version: string): Command {
  const program = new Command('pushmesh')
    .description('secure Web Push messaging mesh node')
    .version(version, '-V, --version')
    // Inherited by every command registered below.
    .exitOverride()
    // Program options (--version) only before the verb, so verbs may take their own (config sign --version N).
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      outputError: () => undefined, // reportError prints it, in the CLI's own one-line form
    });
  for (const register of commands) register(program, ctx);
  return program;
}

/**
 * Run the CLI on `args` (the user's arguments, without `node` and the
 * script) and return the exit code. Never throws, never calls process.exit.
 */
export async function runCli(args: readonly string[], ctx: CliContext, version = '0.0.0'): Promise<ExitCode> {
  try {
    await createProgram(ctx, version).parseAsync([...args], { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    return reportError(err, ctx);
  }
}
