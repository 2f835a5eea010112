import { defaultBackends } from './backends.js';
import type { NodeConfig } from './types.js';

export const DEFAULT_LOCAL_PORT = 15004;
export const DEFAULT_GRPC_PORT = 15007;
export const DEFAULT_HTTPS_PORT = 15443;
export const DEFAULT_SERVICE_TIMEOUT_MS = 10_000;

export function defaultConfig(home: string): NodeConfig {
  return {
    home,
    local: { host: '127.0.0.1', port: DEFAULT_LOCAL_PORT },
    https: { host: '0.0.0.0', port: DEFAULT_HTTPS_PORT },
    httpsSessionTickets: false,
    browserDemo: false,
    grpc: { host: '0.0.0.0', port: DEFAULT_GRPC_PORT },
    advertise: '',
    peers: [],
    trustCa: null,
    certFile: null,
    vapidSubject: null,
    nats: [],
    pubsub: null,
    trust: {},
    service: null,
    // docs/routing.md "Limits" (the same numbers as DEFAULT_ROUTE_LIMITS in src/routing/route-limits.ts).
    routing: { maxRoutesPerPeer: 10_000, maxRoutesPerUnlistedPeer: 100, maxRoutes: 20_000, announcementsPerMinute: 600, transitPeers: [] },
    reqInlineTypes: [],
    logLevel: 'info',
    limits: {
      maxRequestBody: 64 * 1024,
      maxQueuedMessages: 10_000,
      maxQueuedBytes: 32 * 1024 * 1024,
      subscriberBuffer: 1_000,
      maxTtl: 28 * 24 * 3600,
      deliveryWindow: 1,
      jumpHostWait: 300,
      heldMessages: 10_000,
      heldBytes: 32 * 1024 * 1024,
      heldPerTopic: 10_000,
      replayEntries: 200_000,
      replayEntriesPerSender: 50_000,
    },
    backends: defaultBackends(),
  };
}
