import type { ChannelOptions } from '@grpc/grpc-js';
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
