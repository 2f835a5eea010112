import { rm } from 'node:fs/promises';
import { pino } from 'pino';
import { resolveConfig, type ConfigLayer } from '../../src/config/index.js';
import { PeerStore } from '../../src/identity/index.js';
import { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { tempDir } from './temp-dir.js';

/** A real node in this process: local API and HTTPS on 127.0.0.1, ports chosen by the OS, its own temporary home. */
export interface TestNode {
  node: PushmeshNode;
  home: string;
  /** `http://127.0.0.1:PORT` of its local API. */
  localUrl: string;
  /** Closes the node, then removes its home. Safe to call twice. */
  close(): Promise<void>;
}

const BASE: ConfigLayer = { local: '127.0.0.1:0', https: '127.0.0.1:0', grpc: 'off', logLevel: 'silent' };

/** Starts a node; `layer` overrides the test defaults (e.g. a fixed local port for a restart). */
export async function startTestNode(layer: ConfigLayer = {}, home?: string): Promise<TestNode> {
  const dir = home ?? (await tempDir(undefined, 'pushmesh-node-'));
  const config = resolveConfig(dir, [layer, BASE]);
  const node = await PushmeshNode.start(config, pino({ level: config.logLevel }));
  let closed = false;
  return {
    node,
    home: dir,
    localUrl: `http://127.0.0.1:${node.addresses.local.port}`,
    async close() {
      if (closed) return;
      closed = true;
      await node.close();
      if (home === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Stores each node's card in the other's peer store, so each can send to the other. */
export async function introduce(a: TestNode, b: TestNode): Promise<void> {
  await new PeerStore(a.home).add(b.node.card());
  await new PeerStore(b.home).add(a.node.card());
}
