import type { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { HostPort, NodeConfig } from '../config/index.js';
import type { Card, Identity } from '../identity/types.js';
import { LinkManager, type LinkManagerOptions } from '../links/link-manager.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import { linkLimits } from '../transport/link-limits.js';
import { builtinTransports } from '../transport/registry.js';
import type { Transport } from '../transport/transport.js';
import { packageVersion } from '../util/package-version.js';
import type { Part } from './lifecycle.js';

/** What a node's link manager is built from (the rest comes from its config). */
export interface NodeLinkParts extends Pick<LinkManagerOptions, 'signer' | 'nextHop' | 'onMessage'> {
  identity: Identity;
  config: NodeConfig;
  trustCas: X509Certificate[];
  metrics: NodeMetrics;
  logger: Logger;
  /** The node's card, read each time a handshake needs it. */
  card: () => Card;
  /** Default: builtinTransports(). */
  transports?: readonly Transport[] | undefined;
}

/** The node's peer links (docs/transports.md): every transport it is given, the link limits, the trust CAs. */
export function nodeLinks(o: NodeLinkParts): LinkManager {
  return new LinkManager({
    identity: o.identity,
    card: o.card,
    version: packageVersion(),
    home: o.config.home,
    trustCas: o.trustCas,
    limits: linkLimits(),
    logger: o.logger,
    registry: o.metrics.registry,
    signer: o.signer,
    nextHop: o.nextHop,
    onMessage: o.onMessage,
    transports: o.transports ?? builtinTransports(),
  });
}

/**
 * The links as the node's last part: the gRPC listener (when `grpc` is
 * set; `listening` is told its address) and the `--peer` dial loops at
 * start; a drain lets the links finish what is in flight.
 */
export function linksPart(links: LinkManager, config: NodeConfig, listening: (at: HostPort) => void): Part {
  return {
    name: 'links',
    start: async () => {
      if (config.grpc) listening(await links.listenGrpc(config.grpc.host, config.grpc.port));
      links.dial(config.peers);
    },
    drain: () => links.close({ drain: true }),
    close: () => links.close(),
  };
}
