import { isPushmeshError, PushmeshError } from '../../errors/index.js';
import { AdsClientLink } from '../ads/ads-client-link.js';
import type { AdsServerLink } from '../ads/ads-server-link.js';
import { awaitHandshake } from '../ads/await-handshake.js';
import { startServerLink } from '../ads/start-server-link.js';
import { refusalReason, refused } from '../auth/peer-proof.js';
import type { ListenerOptions, Transport, TransportOptions } from '../transport.js';
import type { Dialer, Link, Listener, PeerTarget } from '../types.js';
import { MemoryChannel } from './memory-channel.js';
import type { MemoryNetwork } from './memory-network.js';

/**
 * The memory transport: ADS links on in-process pipes between nodes of
 * one MemoryNetwork. Dials `memory://<ID>@<name>`; with `address`, the
 * node listens at that name. Each side still checks the other against
 * its access lists and the ID the URL names; the peer's ID is taken as
 * it says (proof `memory`): for tests and benchmarks of several nodes in
 * one process, never a network.
 */
export function memoryTransport(net: MemoryNetwork, options: { address?: string } = {}): Transport {
  const address = options.address;
  return {
    name: 'memory',
    schemes: ['memory:'],
    address: (url) => {
      if (url.port !== '') return { error: 'a memory:// URL has no port' };
      if (url.pathname !== '') return { error: 'a memory:// URL has no path' };
      if (url.hostname === '') return { error: 'the address name is missing' };
      return { host: url.hostname, port: 0 };
    },
    dialer: (o) => new MemoryDialer(net, o),
    ...(address === undefined
      ? {}
      : {
          listensOn: 'in-process' as const,
          listen: async (place, o) => {
            if (place.on !== 'in-process') throw new Error(`the memory transport listens in-process, not on ${place.on}`);
            return new MemoryListener(net, address, o);
          },
        }),
  };
}

class MemoryDialer implements Dialer {
  readonly transport = 'memory' as const;
  readonly #net: MemoryNetwork;
  readonly #o: TransportOptions;

  constructor(net: MemoryNetwork, o: TransportOptions) {
    this.#net = net;
    this.#o = o;
  }

  async dial(target: PeerTarget, options: { signal?: AbortSignal } = {}): Promise<Link> {
    const o = this.#o;
    const end = this.#net.reach(target.host);
    if (!end) throw new PushmeshError('ERR_UNAVAILABLE', `${target.url}: nobody listens at memory address "${target.host}"`);
    if (target.expectedId && end.id !== target.expectedId) throw refused('unauthenticated', `the node at memory address "${target.host}" is ${end.id}, not ${target.expectedId}`);
    o.auth.permit({ id: end.id, caSigned: false }, 'outbound');
    const [mine, theirs] = MemoryChannel.pair();
    end.accept({ id: o.self.id }, theirs);
    const link = new AdsClientLink({
      transport: 'memory',
      channel: mine,
      self: { id: o.self.id, card: o.self.card(), version: o.self.version },
      peer: { id: end.id, proof: 'memory', address: target.host },
      limits: o.limits,
      logger: o.logger,
      ...(o.onMisbehavior ? { onMisbehavior: o.onMisbehavior } : {}),
    });
    link.start();
    return awaitHandshake(link, target, options.signal);
  }

  close(): void {
    // Nothing shared.
  }
}

class MemoryListener implements Listener {
  readonly transport = 'memory' as const;
  readonly address = null;
  readonly #links = new Set<AdsServerLink>();
  readonly #unbind: () => void;

  constructor(net: MemoryNetwork, address: string, o: ListenerOptions) {
    this.#unbind = net.bind(address, {
      id: o.self.id,
      accept: (peer, channel) => {
        try {
          o.auth.permit({ id: peer.id, caSigned: false }, 'inbound');
        } catch (err) {
          if (isPushmeshError(err) && err.code === 'ERR_PEER_REFUSED') o.onRefused?.(refusalReason(err), err.message);
          throw err;
        }
        startServerLink(o, this.#links, 'memory', channel, { id: peer.id, proof: 'memory', address: `memory:${peer.id.slice(0, 12)}` });
      },
    });
  }

  async close(options: { drain?: boolean } = {}): Promise<void> {
    this.#unbind();
    const links = [...this.#links];
    if (options.drain) await Promise.allSettled(links.map((l) => l.drain()));
    else for (const l of links) l.close('shutdown', 'node shutting down');
    await Promise.allSettled(links.map((l) => l.closed));
  }
}
