#!/usr/bin/env node
import { processContext } from './context.js';
import { runCli } from './program.js';
import { packageVersion } from './version.js';

// The reader of our output went away (`pushmesh tail | head -1`): nothing more to say, and no stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await runCli(process.argv.slice(2), processContext(), packageVersion());
