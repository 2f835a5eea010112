import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/index.js';
import type { MeshPort } from '../core/mesh-port.js';
import type { LocalBus } from '../bus/local-bus.js';
import type { Message } from '../message/types.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import { ROUTES_TOPIC } from '../routing/mesh-routing.js';
import { RpcClient } from '../rpc/rpc-client.js';
import { RpcServer } from '../rpc/rpc-server.js';
import { RPC_REQUEST_TOPIC, RPC_RESPONSE_TOPIC } from '../rpc/types.js';
import { CONFIG_TOPIC, MeshConfigRelay } from '../signed-config/index.js';
import { ReceiptDeadlines } from '../status/receipt-deadlines.js';
import { Receipts } from '../status/receipts.js';
import type { StatusStore } from '../status/status-store.js';
import { RECEIPT_TOPIC } from '../status/types.js';
import type { Part } from './lifecycle.js';
import { SystemTopics } from './system-topics.js';

export interface NodeProtocolsOptions {
  port: MeshPort;
  status: StatusStore;
  bus: LocalBus;
  metrics: NodeMetrics;
  logger: Logger;
  service: ServiceConfig | null;
  /** The nodes signed configs are passed on to (the stored peer cards). */
  peers: () => Promise<string[]>;
  /** A route announcement from another node (mesh routing). */
  onAnnouncement: (m: Message) => void;
}

/**
 * The node's own protocols over the mesh, on `pushmesh.*` topics that
 * never reach the apps: request/response (`/req`), delivery receipts and
 * their deadlines, signed configs passed between nodes, route
 * announcements. `system` routes those topics to them.
 */
export class NodeProtocols implements Part {
  readonly name = 'node protocols';
  readonly system: SystemTopics;
  readonly rpc: RpcClient;
  readonly configRelay: MeshConfigRelay;
  readonly deadlines: ReceiptDeadlines;
  readonly #rpcServer: RpcServer;

  constructor(o: NodeProtocolsOptions) {
    const { logger, metrics } = o;
    this.system = new SystemTopics((topic, err) => {
      metrics.dropped.inc({ reason: 'system_message' });
      logger.warn({ topic, reason: (err as Error).message }, 'could not handle a system message');
    });
    this.rpc = new RpcClient(o.port);
    this.#rpcServer = new RpcServer({ port: o.port, service: o.service, logger: logger.child({ component: 'rpc' }) });
    this.configRelay = new MeshConfigRelay({ self: o.port.id, peers: o.peers, send: (req) => o.port.send(req), logger: logger.child({ component: 'signed-config' }) });
    this.deadlines = new ReceiptDeadlines(o.status);
    const receipts = new Receipts({ port: o.port, store: o.status, logger: logger.child({ component: 'receipts' }) });
    o.bus.on('consumed', (ev) => receipts.onConsumed(ev));
    this.system.on(ROUTES_TOPIC, (m) => o.onAnnouncement(m));
    this.system.on(RECEIPT_TOPIC, (m) => receipts.onReceipt(m));
    this.system.on(CONFIG_TOPIC, (m) => this.configRelay.receive(m));
    this.system.on(RPC_REQUEST_TOPIC, (m) => this.#rpcServer.onRequest(m));
    this.system.on(RPC_RESPONSE_TOPIC, (m) => {
      if (!this.rpc.onResponse(m)) logger.debug({ from: m.from, re: m.meta['re'] }, 'answer for no waiting request');
    });
  }

  close(): void {
    this.deadlines.close();
    this.rpc.close();
    this.#rpcServer.close();
  }
}
