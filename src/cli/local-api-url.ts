import { DEFAULT_LOCAL_PORT } from '../config/defaults.js';
import { formatHostPort, parseHostPort } from '../config/host-port.js';
import { PushmeshError } from '../errors/index.js';
import type { CliContext } from './context.js';

/** A listener bound to every address is reached on loopback. */
const WILDCARD_TO_LOOPBACK: Record<string, string> = { '0.0.0.0': '127.0.0.1', '::': '::1' };

/**
 * Base URL of the running node's local API: `--local` (HOST:PORT or an
 * http:// URL) > `$PUSHMESH_LOCAL` > `local:` of the node's config file
 * (`fromConfig`, when the verb was given one) > 127.0.0.1:15004. A node
 * bound to 0.0.0.0 (or ::) is reached on loopback.
 */
export function localApiBase(flag: string | undefined, ctx: CliContext, fromConfig?: string): string {
  const given = flag ?? ctx.env['PUSHMESH_LOCAL'] ?? fromConfig ?? `127.0.0.1:${DEFAULT_LOCAL_PORT}`;
  if (/^https?:\/\//i.test(given)) {
    try {
      return new URL(given).origin;
    } catch (err) {
      throw new PushmeshError('ERR_BAD_ARGUMENT', `local API address "${given}" is not a URL`, { cause: err });
    }
  }
  let hp;
  try {
    hp = parseHostPort(given, '127.0.0.1', 'local API address');
  } catch (err) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', (err as Error).message, { cause: err });
  }
  if (!hp) throw new PushmeshError('ERR_BAD_ARGUMENT', 'the local API address is "off": no local API to talk to');
  return `http://${formatHostPort({ ...hp, host: WILDCARD_TO_LOOPBACK[hp.host] ?? hp.host })}`;
}
