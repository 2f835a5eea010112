import { pino, type Logger } from 'pino';

/** The logger of a node started without one: nothing is written (a library must not write to its program's output unasked). */
export function silentLogger(): Logger {
  return pino({ enabled: false });
}
