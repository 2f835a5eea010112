/** A text sink: process.stdout, process.stderr, or a test's buffer. */
export interface TextSink {
  write(text: string): unknown;
}

/** What a command may touch of the outside world; injectable for tests. */
export interface CliContext {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: NodeJS.ProcessEnv;
  readonly fetch: typeof fetch;
}

export function processContext(): CliContext {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, fetch: globalThis.fetch };
}

/** Print one notice line on stderr, in the same "pushmesh: …" form as errors. */
export function notice(ctx: CliContext, message: string): void {
  ctx.stderr.write(`pushmesh: ${message}\n`);
}
