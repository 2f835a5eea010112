import type { LocalBus } from '../bus/local-bus.js';
import type { NodeId } from '../identity/types.js';
import type { LinkManager } from '../links/link-manager.js';
import type { NodeCertificate } from './node-certificate.js';
import type { NodeStore } from './node-store.js';

/** What `GET /healthz` reports of a node (docs/local-api.md). */
export interface NodeHealthSources {
  state: () => 'new' | 'running' | 'draining' | 'closed';
  id: NodeId;
  startedAt: number;
  store: NodeStore;
  bus: LocalBus;
  links: LinkManager;
  certificate: Pick<NodeCertificate, 'health'>;
  now?: () => number;
}

/**
 * The node's health as `GET /healthz` answers it: `ok` while it runs;
 * its state, uptime, queue, whether the store can be written (and since
 * when not), app subscribers, live links, and the node's certificate
 * (kind, end, days left, whether it is near its end).
 */
export class NodeHealth {
  readonly #o: NodeHealthSources;

  constructor(sources: NodeHealthSources) {
    this.#o = sources;
  }

  report(): { ok: boolean; [k: string]: unknown } {
    const o = this.#o;
    const storage = o.store.storage;
    const state = o.state();
    return {
      ok: state === 'running',
      state,
      id: o.id,
      uptimeSeconds: Math.round(((o.now ?? Date.now)() - o.startedAt) / 1000),
      queueDepth: o.store.outbox.depth(),
      store: storage.writable ? { writable: true } : { writable: false, since: storage.since, reason: storage.error?.message },
      subscribers: o.bus.subscriberCount,
      links: [...o.links.links()].length,
      certificate: o.certificate.health(),
    };
  }
}
