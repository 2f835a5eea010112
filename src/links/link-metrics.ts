import { Counter, Gauge, type Registry } from 'prom-client';
import type { Link } from '../transport/types.js';

/** Prometheus metrics of peer links, on the node's registry. */
export class LinkMetrics {
  readonly misbehavior: Counter<'kind'>;
  readonly refused: Counter<'transport' | 'reason'>;
  readonly closed: Counter<'transport' | 'reason'>;
  readonly messages: Counter<'direction' | 'outcome'>;

  constructor(registry: Registry, links: () => Iterable<Link>) {
    const registers = [registry];
    new Gauge({
      name: 'pushmesh_peer_links',
      help: 'Peer links up, by transport and direction',
      labelNames: ['transport', 'direction'],
      registers,
      collect() {
        this.reset();
        for (const l of links()) this.inc({ transport: l.transport, direction: l.direction });
      },
    });
    this.misbehavior = new Counter({
      name: 'pushmesh_peer_misbehavior_total',
      help: 'Input refused from peers (garbage frames, wrong type URLs, oversize, floods), by kind',
      labelNames: ['kind'],
      registers,
    });
    this.refused = new Counter({
      name: 'pushmesh_peer_refused_total',
      help: 'Peers refused before a link started (authentication or authorization), by reason',
      labelNames: ['transport', 'reason'],
      registers,
    });
    this.closed = new Counter({
      name: 'pushmesh_peer_links_closed_total',
      help: 'Peer links ended, by reason',
      labelNames: ['transport', 'reason'],
      registers,
    });
    this.messages = new Counter({
      name: 'pushmesh_peer_link_messages_total',
      help: 'Messages over peer links: in (received, answered) and out (sent, answered by the peer), by outcome (ack or NACK reason)',
      labelNames: ['direction', 'outcome'],
      registers,
    });
  }
}
