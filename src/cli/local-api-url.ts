import { DEFAULT_LOCAL_PORT, formatHostPort, parseHostPort } from '../config/index.js';
import { PushmeshError } from '../errors/index.js';
import type { CliContext } from './context.js';

/**
 * Base URL of the running node's local API: `--local` (HOST:PORT or an
 * http:// URL) > `$PUSHMESH_LOCAL` > 127.0.0.1:15004.
 */
export function localApiBase(flag: string | undefined, ctx: CliContext): string {
  const given = flag ?? ctx.env['PUSHMESH_LOCAL'] ?? `127.0.0.1:${DEFAULT_LOCAL_PORT}`;
  if (/^https?:\/\//i.test(given)) {
    try {
      return new URL(given).origin;
    } catch (err) {
      throw new PushmeshError('ERR_BAD_ARGUMENT', `local API address "${given}" is not a URL`, { cause: err });
    }
  }
  const hp = parseHostPort(given, '127.0.0.1', 'local API address');
  if (!hp) throw new PushmeshError('ERR_BAD_ARGUMENT', 'the local API address cannot be "off"');
  return `http://${formatHostPort(hp)}`;
}
