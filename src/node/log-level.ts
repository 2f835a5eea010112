import { pino, type Level, type Logger, type LoggerOptions } from 'pino';

/** The levels a node's logger may be set to (`logLevel`, `--log-level`). */
export type LogLevel = Level | 'silent';

const thresholds = new WeakMap<Logger, { value: number }>();

/**
 * A pino logger whose level can be changed later for it and every child it
 * already made (`setLogLevel`): pino copies a level into a child when the
 * child is made, so the parts of a running node would keep the old one.
 * The logger itself passes everything on; one `logMethod` hook, shared by
 * the children, drops what is under the current threshold.
 */
export function reloadableLogger(level: LogLevel, opts: Omit<LoggerOptions, 'level' | 'hooks'> = {}, stream?: pino.DestinationStream): Logger {
  const threshold = { value: levelValue(level) };
  const options: LoggerOptions = {
    ...opts,
    level: 'trace',
    hooks: {
      logMethod(args, method, value) {
        if (value >= threshold.value) method.apply(this, args);
      },
    },
  };
  const logger = stream ? pino(options, stream) : pino(options);
  thresholds.set(logger, threshold);
  return logger;
}

/**
 * Sets the level of `logger` (and, for one made by `reloadableLogger`, of
 * the children it already made). Returns false when only the logger itself
 * and its future children change (any other pino logger).
 */
export function setLogLevel(logger: Logger, level: LogLevel): boolean {
  const threshold = thresholds.get(logger);
  if (threshold) {
    threshold.value = levelValue(level);
    return true;
  }
  logger.level = level;
  return false;
}

function levelValue(level: LogLevel): number {
  return level === 'silent' ? Infinity : pino.levels.values[level]!;
}
