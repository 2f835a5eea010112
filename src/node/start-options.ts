import type { Logger } from 'pino';
import type { HostPort } from '../config/index.js';
import type { ConfigChannel } from '../signed-config/channel.js';
import type { Transport } from '../transport/transport.js';

/** Addresses the node actually listens on (ports resolved when 0 was asked). */
export interface NodeAddresses {
  local: HostPort;
  https: HostPort | null;
  grpc: HostPort | null;
  /** The xDS server (docs/xds.md); null when off. */
  xds: HostPort | null;
}

/** What a node is started with besides its config. */
export interface NodeStartOptions {
  /** Where the node logs (pino); silent when not given. */
  logger?: Logger;
  /** Pipes that carry signed configs (NATS, Pub/Sub, in-memory); more with `node.signedConfig.addChannel`. */
  configChannels?: readonly ConfigChannel[];
  /**
   * Log "pushmesh node running" when `start` returns (default true).
   * `startNode` says false and calls `announce()` once its backends are
   * up too, so nothing waiting for that line sees it before a start that
   * still fails.
   */
  announce?: boolean;
  /**
   * `'caller'`: the caller starts the backends the config names (NATS,
   * Pub/Sub, bridges) itself, as `startNode` does. Without it a config
   * that names backends is refused (ERR_CONFIG) rather than ignored.
   */
  backends?: 'caller';
  /** The transports links are made with (default: `builtinTransports()`: gRPC, WebSocket, HTTPS Web Push); tests add the memory transport. */
  transports?: readonly Transport[];
}
