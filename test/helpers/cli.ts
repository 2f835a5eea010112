import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI entry point (dist/src/cli/main.js), found from this compiled helper. */
export const CLI_PATH = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  /** Exit code (null only if killed by a signal, e.g. the timeout). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCliOptions {
  /** Extra environment; pushmesh's own variables from the outer environment are never inherited. */
  readonly env?: Record<string, string | undefined>;
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly input?: string;
}

/** Run `node dist/src/cli/main.js …args` as a real process; never rejects on a non-zero exit. */
export function runPushmesh(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PUSHMESH_') && !k.startsWith('NODE_TEST')) env[k] = v;
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI_PATH, ...args],
      { env, cwd: options.cwd, timeout: options.timeoutMs ?? 15_000, encoding: 'utf8', maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number' && err.signal == null) {
          reject(err);
          return;
        }
        resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Run the CLI and return its stdout, trimmed; throw with its stderr if it failed. */
export async function pushmeshOk(args: readonly string[], options: RunCliOptions = {}): Promise<string> {
  const result = await runPushmesh(args, options);
  if (result.code !== 0) {
    throw new Error(`pushmesh ${args.join(' ')} exited ${result.code ?? result.signal}: ${result.stderr}`);
  }
  return result.stdout.trim();
}

/** The stack-frame shape Node prints ("    at fn (file:line:col)"): must never reach users. */
export const STACK_FRAME = /^\s+at .+[:(]/m;
