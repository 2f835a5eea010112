import { PushmeshError } from '../errors/index.js';
import type { ConfigRefusal } from './types.js';

/**
 * A signed config was refused. `code` is always ERR_CONFIG_REFUSED;
 * `reason` is the stable machine-readable cause (a metrics label too).
 */
export class ConfigRefusedError extends PushmeshError {
  static override name = 'ConfigRefusedError';
  readonly reason: ConfigRefusal;

  constructor(reason: ConfigRefusal, detail: string, options?: ErrorOptions) {
    super('ERR_CONFIG_REFUSED', `signed config refused (${reason}): ${detail}`, options);
    this.reason = reason;
  }
}

export function isConfigRefused(err: unknown): err is ConfigRefusedError {
  return err instanceof ConfigRefusedError;
}

export const malformed = (detail: string, cause?: unknown): ConfigRefusedError =>
  new ConfigRefusedError('malformed', detail, cause === undefined ? undefined : { cause });
