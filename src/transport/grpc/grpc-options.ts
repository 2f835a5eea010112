import type { EventEmitter } from 'node:events';
import type { Http2Session } from 'node:http2';
import type { ChannelOptions, Server } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { LinkLimits } from '../link-limits.js';

/**
 * HTTP/2 keepalive for both ends of an ADS stream: a PING every
 * `keepaliveMs` whatever the traffic (grpc-js sends them on a timer, not
 * only when idle), and the connection is dropped when one is not answered
 * within `keepaliveTimeoutMs` — which ends the link.
 */
export function grpcKeepaliveOptions(limits: LinkLimits): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': limits.keepaliveMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
  };
}

/**
 * HTTP/2 receive window of a link's connection and of its stream, each
 * way (Node's default is 64 KiB for both). With 64 KiB a sender could have
 * only ≈ 45 messages of 1.4 KiB unread by the receiver, and the receiver
 * grants more only once it has handled what it read (WINDOW_UPDATE after
 * its turn): sender and receiver took turns instead of overlapping —
 * app-to-app over a gRPC link 559 → 1,213 msg/s with one POST per message,
 * 844 → 1,629 batched (docs/benchmarks.md, "The lean path"). The window
 * is a credit, not a buffer: grpc-js reads what arrives at once, and the
 * link's own limits (messages in flight, frame size, rate) bound what a
 * peer can make this node hold.
 */
export const RECEIVE_WINDOW = 1 << 20;

/** The dialing side: grpc-js sets both windows of the connection it makes from this option. */
export function grpcWindowOptions(): ChannelOptions {
  return { 'grpc-node.flow_control_window': RECEIVE_WINDOW };
}

/**
 * The listening side: grpc-js has no option for a server's windows. It
 * keeps the HTTP/2 server it makes for a connection injector in a private
 * map (`http2Servers`, grpc-js 1.x); each new session of those servers
 * gets the window, through Node's public `Http2Session` API. Should a
 * grpc-js release change that map, links keep working at the default
 * window and this says so once.
 */
export function widenServerWindows(server: Server, logger: Logger): void {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) {
    logger.warn({ window: RECEIVE_WINDOW }, 'gRPC listener: cannot reach grpc-js\'s HTTP/2 server, links keep the 64 KiB receive window (slower bulk traffic)');
    return;
  }
  for (const h2 of servers.keys() as IterableIterator<EventEmitter>) {
    h2.on('session', (session: Http2Session) => {
      try {
        session.setLocalWindowSize(RECEIVE_WINDOW);
        session.settings({ initialWindowSize: RECEIVE_WINDOW });
      } catch (err) {
        logger.debug({ reason: (err as Error).message }, 'gRPC listener: could not widen a session\'s receive window');
      }
    });
  }
}
