import { PushmeshError } from './pushmesh-error.js';

/**
 * Why a signed config was refused. Each is logged and counted in
 * `pushmesh_config_refused_total{reason}`.
 */
export type ConfigRefusal =
  /** Not a compact JWS of our format: bad encoding, header, payload, size. */
  | 'malformed'
  /** The signature does not verify with the key in the header. */
  | 'bad_signature'
  /** The signer is not a trusted owner of the namespace (or not the one asked for). */
  | 'unknown_owner'
  /** A lower version than the one kept: an old config replayed. */
  | 'rollback'
  /** The same version as the one kept, with a different payload. */
  | 'conflict'
  /** Too many configs waiting to be checked; this one was dropped. */
  | 'overloaded';

export const CONFIG_REFUSALS: readonly ConfigRefusal[] = ['malformed', 'bad_signature', 'unknown_owner', 'rollback', 'conflict', 'overloaded'];

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
