/** Process exit codes of the pushmesh command. */
export const ExitCode = {
  ok: 0,
  /** Anything that went wrong at run time. */
  failure: 1,
  /** Bad command line: unknown verb or option, missing or invalid argument. */
  usage: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
