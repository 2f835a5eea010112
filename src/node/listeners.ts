import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { LocalBus } from '../bus/local-bus.js';
import { formatHostPort, type HostPort, type NodeConfig } from '../config/index.js';
import type { NodeCore } from '../core/index.js';
import { PushmeshError } from '../errors/index.js';
import type { Card, Identity } from '../identity/types.js';
import { buildLocalApi } from '../local-api/server.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { SignedConfigService } from '../signed-config/index.js';
import { buildPushServer, pushServerTls } from '../transport/https/push-server.js';
import type { AcceptPush } from '../transport/https/push-types.js';
import type { LinkManager } from '../links/link-manager.js';
import type { AdvertisedEndpoint } from './advertised-endpoint.js';
import type { Part } from './lifecycle.js';
import type { NodeAddresses } from './start-options.js';

export interface ServerHooks {
  /** The server is built, not yet listening (the link manager takes its WebSocket upgrades here). */
  built?: (server: Server) => void;
  /** It listens, at this address. */
  listening?: (at: HostPort) => void;
  /** It is about to close: end what would keep it open (the apps' streams). */
  stopping?: () => void;
}

/**
 * One of the node's HTTP servers (the local API, the HTTPS Web Push and
 * peer WebSocket server) as a part: built and listening at start; a
 * drain lets requests in flight finish (new ones get 503), a close cuts
 * every connection.
 */
export class ServerPart implements Part {
  readonly name: string;
  readonly #build: () => FastifyInstance;
  readonly #at: HostPort;
  readonly #hooks: ServerHooks;
  #app: FastifyInstance | null = null;
  #address: HostPort | null = null;

  constructor(name: string, at: HostPort, build: () => FastifyInstance, hooks: ServerHooks = {}) {
    this.name = name;
    this.#at = at;
    this.#build = build;
    this.#hooks = hooks;
  }

  /** The address listened on (the port the system gave when 0 was asked). */
  get address(): HostPort {
    if (!this.#address) throw new Error(`${this.name} is not listening`);
    return this.#address;
  }

  async start(): Promise<void> {
    this.#app = this.#build();
    this.#hooks.built?.(this.#app.server as Server);
    this.#address = await listenOn(this.#app, this.#at, this.name);
    this.#hooks.listening?.(this.#address);
  }

  async drain(): Promise<void> {
    this.#hooks.stopping?.();
    await this.#app?.close();
  }

  async close(): Promise<void> {
    this.#hooks.stopping?.();
    this.#app?.server.closeAllConnections();
    await this.#app?.close();
  }
}

/**
 * The local API (127.0.0.1:15004 by default); its drain ends the apps'
 * streams first, which would keep it open. An app stream cut off for
 * falling too far behind is counted and logged.
 */
export function localApiPart(o: { config: NodeConfig; core: NodeCore; logger: Logger; bus: LocalBus; metrics: NodeMetrics; signedConfig: SignedConfigService }): ServerPart {
  const { config: cfg } = o;
  o.bus.on('subscriberEnded', (_sub, reason) => {
    if (reason !== 'slow consumer') return;
    o.metrics.subscribersCut.inc({ reason: 'slow_consumer' });
    o.logger.warn({ reason }, 'local subscriber cut off: it fell too far behind');
  });
  return new ServerPart('local API', cfg.local, () => buildLocalApi({ core: o.core, logger: o.logger, maxRequestBody: cfg.limits.maxRequestBody, maxTtl: cfg.limits.maxTtl, signedConfig: o.signedConfig }), {
    stopping: () => o.bus.close(),
  });
}

/**
 * The HTTPS server: the RFC 8030 Web Push endpoint, the node's card, and
 * peer WebSockets (the link manager takes the server's upgrades once it
 * is built). Pushes are accepted for the advertised origin, which learns
 * the address the server got.
 */
export function httpsPart(
  at: HostPort,
  o: { config: NodeConfig; identity: Identity; logger: Logger; metrics: NodeMetrics; accept: AcceptPush; advertise: AdvertisedEndpoint; card: () => Card; links: Pick<LinkManager, 'attachWebSocket'> },
): ServerPart {
  const build = (): FastifyInstance =>
    buildPushServer({
      logger: o.logger,
      metrics: o.metrics,
      // Client certificates asked for (peer WebSockets), checked in code; no TLS session tickets unless httpsSessionTickets.
      tls: pushServerTls({ key: o.identity.privateKeyPem, cert: o.identity.certificatePem, sessionTickets: o.config.httpsSessionTickets }),
      isLocalNode: (id) => id === o.identity.id,
      accept: o.accept,
      origins: () => [o.advertise.url],
      maxTtl: o.config.limits.maxTtl,
      card: o.card,
      browserDemo: o.config.browserDemo === true,
    });
  return new ServerPart('HTTPS', at, build, { built: (server) => o.links.attachWebSocket(server), listening: (at) => o.advertise.learn(at) });
}

async function listenOn(app: FastifyInstance, hp: HostPort, what: string): Promise<HostPort> {
  try {
    await app.listen({ host: hp.host, port: hp.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = formatHostPort(hp);
    if (code === 'EADDRINUSE') throw new PushmeshError('ERR_LISTEN', `${what} address ${where} is already in use`, { cause: err });
    if (code === 'EACCES') throw new PushmeshError('ERR_LISTEN', `not allowed to listen on ${where} (${what})`, { cause: err });
    if (code === 'EADDRNOTAVAIL') throw new PushmeshError('ERR_LISTEN', `${what} address ${where} is not an address of this machine`, { cause: err });
    throw new PushmeshError('ERR_LISTEN', `cannot listen on ${where} (${what}): ${(err as Error).message}`, { cause: err });
  }
  const addr = app.server.address();
  if (addr && typeof addr === 'object') return { host: hp.host, port: addr.port };
  return hp;
}

/**
 * Where a node listens: the local API, the HTTPS server and the xDS
 * server (each null when off), and the gRPC link listener (`grpc`, set
 * once it listens).
 */
export class NodeListeners {
  grpc: HostPort | null = null;

  constructor(
    readonly local: ServerPart,
    readonly https: ServerPart | null,
    readonly xds: { readonly address: HostPort | null } | null,
  ) {}

  /** The addresses actually listened on (ports resolved when 0 was asked). */
  get addresses(): NodeAddresses {
    return { local: this.local.address, https: this.https?.address ?? null, grpc: this.grpc, xds: this.xds?.address ?? null };
  }
}
