import { PushmeshError } from '../../errors/index.js';
import type { PeerTarget } from '../types.js';
import type { AdsLink } from './ads-link.js';

/**
 * Waits for a dialed link's handshake. An abort of `signal` closes the
 * link; a link that ends first becomes ERR_PEER_REFUSED (the peer refused
 * us) or ERR_LINK_CLOSED, naming the target and the peer's reason.
 */
export async function awaitHandshake<L extends AdsLink>(link: L, target: PeerTarget, signal: AbortSignal | undefined): Promise<L> {
  const onAbort = (): void => link.close('normal', 'dial aborted');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await link.ready;
  } catch (err) {
    const ended = await link.closed;
    throw new PushmeshError(
      ended.reason === 'forbidden' || ended.reason === 'unauthenticated' ? 'ERR_PEER_REFUSED' : 'ERR_LINK_CLOSED',
      `${target.url}: ${ended.message || ended.reason}`,
      { cause: err },
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return link;
}
