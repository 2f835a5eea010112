import { CommanderError } from 'commander';
import { isPushmeshError } from '../errors/index.js';
import type { CliContext } from './context.js';
import { ExitCode } from './exit-codes.js';

/**
 * Print an error the way the CLI promises: one line, "pushmesh: <message>",
 * no stack trace unless PUSHMESH_DEBUG=1. Returns the exit code.
 */
export function reportError(err: unknown, ctx: CliContext): ExitCode {
  if (err instanceof CommanderError) return reportCommanderError(err, ctx);
  const message = err instanceof Error ? err.message : String(err);
  ctx.stderr.write(`pushmesh: ${oneLine(message)}\n`);
  if (ctx.env['PUSHMESH_DEBUG'] === '1') ctx.stderr.write(debugDetail(err));
  return isPushmeshError(err) && err.code === 'ERR_BAD_ARGUMENT' ? ExitCode.usage : ExitCode.failure;
}

function reportCommanderError(err: CommanderError, ctx: CliContext): ExitCode {
  if (err.exitCode === 0) return ExitCode.ok; // --help, --version
  // Help shown because a verb is missing: commander already printed it.
  if (err.code !== 'commander.help' && err.code !== 'commander.helpDisplayed') {
    ctx.stderr.write(`pushmesh: ${oneLine(err.message.replace(/^error: /, ''))} (see pushmesh --help)\n`);
  }
  return ExitCode.usage;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function debugDetail(err: unknown): string {
  let out = '';
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    out += (depth === 0 ? '' : 'caused by: ') + (e instanceof Error ? (e.stack ?? e.message) : String(e)) + '\n';
  }
  return out;
}
