/**
 * Nodes for the routing benches: real PushmeshNodes in this process on
 * loopback (gRPC ADS links, no HTTPS listener), and a wait until a chain
 * carries messages.
 */
import { pino } from 'pino';
import { defaultConfig, type NodeConfig } from '../src/config/index.js';
import { PushmeshNode } from '../src/node/pushmesh-node.js';

const logger = pino({ level: 'silent' });

export interface BenchNodeOptions {
  /** Listen for gRPC links (port 0). */
  grpc: boolean;
  /** limits.deliveryWindow (default: the node's default, 1). */
  deliveryWindow?: number;
}

export async function startBenchNode(home: string, peers: string[], opts: BenchNodeOptions): Promise<PushmeshNode> {
  const config: NodeConfig = {
    ...defaultConfig(home),
    local: { host: '127.0.0.1', port: 0 },
    https: null,
    grpc: opts.grpc ? { host: '127.0.0.1', port: 0 } : null,
    peers,
    // Nothing listens there: no message ever goes over HTTPS by mistake (to someone's default port).
    advertise: 'https://127.0.0.1:9',
    logLevel: 'silent',
  };
  config.limits = { ...config.limits, maxQueuedMessages: 100_000 };
  if (opts.deliveryWindow !== undefined) config.limits.deliveryWindow = opts.deliveryWindow;
  return PushmeshNode.start(config, logger);
}

/** The peer URL other nodes dial to reach `n`'s gRPC listener. */
export function grpcUrl(n: PushmeshNode): string {
  return `grpcs://${n.id}@127.0.0.1:${n.addresses.grpc!.port}`;
}

/** Waits until a probe message from `origin` reaches `dest`'s apps (links up, routes announced). */
export async function waitRoute(origin: PushmeshNode, dest: PushmeshNode): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('routing bench: chain did not come up in 60 s')), 60_000);
    const onEv = (): void => {
      clearTimeout(timer);
      dest.bus.off('published', onEv);
      resolve();
    };
    dest.bus.on('published', onEv);
    void origin.send({ to: dest.id, topic: 'bench-probe', data: { kind: 'text', value: 'probe' }, ttl: 120, urgency: 'normal' });
  });
}

/** Resolves when `cond()` holds (checked every 20 ms), rejects after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`routing bench: ${what} did not happen in ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
