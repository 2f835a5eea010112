import { pino, type Logger } from 'pino';
import { startBackends } from '../../../adapters/index.js';
import type { BackendBridge } from '../../../src/backends/bridge.js';
import { defaultConfig, type NodeConfig } from '../../../src/config/index.js';
import { PushmeshNode } from '../../../src/node/pushmesh-node.js';

/** Test logs: silent unless PUSHMESH_TEST_LOG names a level. */
export function testLogger(): Logger {
  return pino({ level: process.env['PUSHMESH_TEST_LOG'] ?? 'silent' });
}

export interface TestNode {
  readonly node: PushmeshNode;
  readonly bridge: BackendBridge | null;
  readonly config: NodeConfig;
  /** http://127.0.0.1:PORT of the local API. */
  readonly api: string;
  /** POST /msg/<topic> with a JSON body (no `to`: delivered to this node's apps, and so to matching bridges). */
  send(topic: string, data: unknown, query?: string): Promise<{ id: string }>;
  /** Closes backends, then the node (close = now, drain = finish first). */
  stop(how?: 'close' | 'drain'): Promise<void>;
}

/**
 * An in-process PushmeshNode on a port-0 local API (HTTPS and gRPC off)
 * in `home`, with the backends `configure` sets up; logs to `logger`
 * (default: silent unless PUSHMESH_TEST_LOG).
 */
export async function startTestNode(home: string, configure: (c: NodeConfig) => void = () => {}, logger: Logger = testLogger()): Promise<TestNode> {
  const config = defaultConfig(home);
  config.local = { host: '127.0.0.1', port: 0 };
  config.https = null;
  config.grpc = null;
  configure(config);
  const node = await PushmeshNode.start(config, logger, { backends: 'caller' }); // started below, kept for the tests
  let bridge: BackendBridge | null;
  try {
    bridge = await startBackends(node, config, logger);
  } catch (err) {
    await node.close();
    throw err;
  }
  const api = `http://127.0.0.1:${node.addresses.local.port}`;
  let stopped = false;
  return {
    node,
    bridge,
    config,
    api,
    async send(topic, data, query = '') {
      const res = await fetch(`${api}/msg/${topic}${query ? `?${query}` : ''}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
      if (res.status !== 202) throw new Error(`POST /msg/${topic}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    },
    async stop(how = 'close') {
      if (stopped) return;
      stopped = true;
      if (how === 'drain') {
        await bridge?.drain();
        await node.drain();
      } else {
        await bridge?.close();
        await node.close();
      }
    },
  };
}

