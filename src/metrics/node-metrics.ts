import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Where a message entered or left this node. */
export type MessageVia = 'local' | 'https' | 'link' | 'backend';

/**
 * The node's Prometheus metrics, on a registry of its own (never the
 * global one), so several nodes in one process (tests) stay apart.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly messagesIn: Counter<'via'>;
  readonly messagesOut: Counter<'via'>;
  readonly dropped: Counter<'reason'>;
  readonly cryptoErrors: Counter<'kind'>;
  readonly rejectedRequests: Counter<'server' | 'status'>;
  readonly subscribersCut: Counter<'reason'>;
  readonly queueDepth: Gauge;
  readonly subscribers: Gauge;
  readonly deliveryLatency: Histogram;

  constructor(opts: { queueDepth: () => number; subscribers: () => number; defaultMetrics?: boolean }) {
    const registers = [this.registry];
    this.messagesIn = new Counter({ name: 'pushmesh_messages_in_total', help: 'Messages accepted by this node', labelNames: ['via'], registers });
    this.messagesOut = new Counter({ name: 'pushmesh_messages_out_total', help: 'Messages handed on by this node (to a local app, another node or a backend)', labelNames: ['via'], registers });
    this.dropped = new Counter({ name: 'pushmesh_messages_dropped_total', help: 'Messages dropped, by reason', labelNames: ['reason'], registers });
    this.cryptoErrors = new Counter({ name: 'pushmesh_crypto_errors_total', help: 'Decryption and VAPID failures', labelNames: ['kind'], registers });
    this.rejectedRequests = new Counter({ name: 'pushmesh_rejected_requests_total', help: 'Requests answered with a 4xx status', labelNames: ['server', 'status'], registers });
    this.subscribersCut = new Counter({
      name: 'pushmesh_local_subscribers_cut_total',
      help: 'Local apps (SSE, WebSocket) disconnected by the node, by reason (slow_consumer: fell a whole buffer behind)',
      labelNames: ['reason'],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'pushmesh_queue_depth',
      help: 'Messages waiting for delivery to other nodes',
      registers,
      collect() {
        this.set(opts.queueDepth());
      },
    });
    this.subscribers = new Gauge({
      name: 'pushmesh_local_subscribers',
      help: 'Local apps connected (SSE and WebSocket)',
      registers,
      collect() {
        this.set(opts.subscribers());
      },
    });
    this.deliveryLatency = new Histogram({
      name: 'pushmesh_delivery_latency_seconds',
      help: 'From acceptance on the local API to acknowledged delivery at the next node',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    // Zero-initialise the common series so dashboards see them from the start.
    for (const via of ['local', 'https', 'link'] as const) {
      this.messagesIn.inc({ via }, 0);
      this.messagesOut.inc({ via }, 0);
    }
    for (const reason of ['expired', 'rejected', 'queue_full', 'no_route']) this.dropped.inc({ reason }, 0);
    this.subscribersCut.inc({ reason: 'slow_consumer' }, 0);
    for (const kind of ['decrypt', 'vapid']) this.cryptoErrors.inc({ kind }, 0);
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'pushmesh_process_' });
  }
}
