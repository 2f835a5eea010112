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

// The verb has finished. If a library still holds the event loop open (a
// socket or timer it did not let go of), say so and exit anyway: a stopped
// node must not linger holding its ports and its home.
const EXIT_GRACE_MS = 3_000;
setTimeout(() => {
  process.stderr.write(`pushmesh: still running ${EXIT_GRACE_MS} ms after the command finished (an open handle); exiting\n`);
  process.exit(process.exitCode ?? 0);
}, EXIT_GRACE_MS).unref();
