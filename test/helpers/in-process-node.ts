import { pino } from 'pino';
import { defaultConfig, type NodeConfig } from '../../src/config/index.js';
import { PeerStore } from '../../src/identity/peer-store.js';
import type { Message } from '../../src/message/types.js';
import { PushmeshNode, type NodeStartOptions } from '../../src/node/pushmesh-node.js';
import { type CleanupScope, tempHome } from './temp-dir.js';

/**
 * A real node in this process, on port-0 loopback listeners (HTTPS on,
 * gRPC off), closed after the test. For tests that need the node's
 * behaviour but not a separate process. `options`: what else it is
 * started with (e.g. `transports`, to add the memory transport).
 */
export async function startInProcessNode(scope: CleanupScope, overrides: Partial<NodeConfig> = {}, options: NodeStartOptions = {}): Promise<PushmeshNode> {
  const home = overrides.home ?? (await tempHome(scope));
  const config: NodeConfig = {
    ...defaultConfig(home),
    local: { host: '127.0.0.1', port: 0 },
    https: { host: '127.0.0.1', port: 0 },
    grpc: null,
    logLevel: 'silent',
    ...overrides,
  };
  const node = await PushmeshNode.start(config, pino({ level: process.env['PUSHMESH_TEST_LOG'] ?? 'silent' }), options);
  scope.after(() => node.close());
  return node;
}

/** Base URL of a node's local API. */
export function localUrl(node: PushmeshNode): string {
  const { host, port } = node.addresses.local;
  return `http://${host}:${port}`;
}

/** Each node learns the other's card (as `pushmesh peer add` would). */
export async function introduce(a: PushmeshNode, b: PushmeshNode): Promise<void> {
  await new PeerStore(a.config.home).add(b.card());
  await new PeerStore(b.config.home).add(a.card());
}

/** Resolves with the first message published on `node`'s bus (from now on) that `match` accepts; fails after `ms`. */
export function published(node: PushmeshNode, match: (m: Message) => boolean, ms = 30_000, what = 'matching message'): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.bus.off('published', on);
      reject(new Error(`no ${what} at ${node.id.slice(0, 12)}… within ${ms} ms`));
    }, ms);
    const on = (ev: { message: Message }): void => {
      if (!match(ev.message)) return;
      clearTimeout(timer);
      node.bus.off('published', on);
      resolve(ev.message);
    };
    node.bus.on('published', on);
  });
}
