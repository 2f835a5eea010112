/**
 * A linked stranger flooding route announcements, as issue 12 found it: a
 * real node (in this process) with a fresh key links to a relay and sends
 * it `pushmesh.routes` messages, each an ordinary sealed message whose
 * announcement carries routes to throwaway nodes (fresh P-256 keys, each
 * attachment genuinely signed, naming the stranger as relay). Used by
 * test/routing/route-flood.test.ts and bench/route-flood.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import { pino } from 'pino';
import { defaultConfig, type NodeConfig } from '../../src/config/index.js';
import { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { encodeRouteAnnouncement } from '../../src/routing/wire.js';
import { signAttachment } from '../../src/routing/attachment.js';
import { ROUTES_TOPIC } from '../../src/routing/mesh-routing.js';
import type { Route, RouteAnnouncement } from '../../src/routing/types.js';

/** Routes per message: like the announcer's parts (2,400 protobuf bytes), one sealed message each. */
export const ROUTES_PER_MESSAGE = 8;

/** A node in this process that dials `relayUrl` (a grpcs:// peer URL) and nothing else. */
export async function startStranger(home: string, relayUrl: string): Promise<PushmeshNode> {
  const config: NodeConfig = {
    ...defaultConfig(home),
    local: { host: '127.0.0.1', port: 0 },
    https: null,
    grpc: null,
    peers: [relayUrl],
    advertise: 'https://127.0.0.1:9',
    logLevel: 'silent',
  };
  config.limits = { ...config.limits, maxQueuedMessages: 100_000 };
  return PushmeshNode.start(config, pino({ level: 'silent' }));
}

/** A route to a node that does not exist (a throwaway key) through `stranger`. */
export function throwawayRoute(stranger: string, expires: number): Route {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = privateKey.export({ format: 'jwk' });
  const publicKey = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return { chain: [signAttachment({ privateKey, publicKey }, stranger, expires)] };
}

export interface FloodOptions {
  /** Routes to announce in all. */
  routes: number;
  /**
   * `changes`: unnumbered incremental announcements, each applied as it
   * comes (the cheapest flood); `generation`: one numbered full
   * announcement in parts (exercises the parts waiting to be put together).
   */
  style?: 'changes' | 'generation';
}

/**
 * Queues the flood on the stranger's outbox (one message per
 * ROUTES_PER_MESSAGE routes) and resolves once every message has been
 * taken by the relay (the outbox is empty). Returns the messages sent.
 */
export async function flood(stranger: PushmeshNode, relayId: string, opts: FloodOptions): Promise<number> {
  const expires = Date.now() + 3600_000;
  const messages = Math.ceil(opts.routes / ROUTES_PER_MESSAGE);
  const generation = Date.now() * 2; // above the stranger's own announcer's generations
  for (let i = 0; i < messages; i++) {
    const n = Math.min(ROUTES_PER_MESSAGE, opts.routes - i * ROUTES_PER_MESSAGE);
    const routes = Array.from({ length: n }, () => throwawayRoute(stranger.id, expires));
    const ann: RouteAnnouncement = opts.style === 'generation' ? { routes, full: true, withdrawn: [], generation, part: i, parts: messages } : { routes, full: false, withdrawn: [] };
    await stranger.send({
      to: relayId,
      topic: ROUTES_TOPIC,
      data: { kind: 'json', value: { v: 1, announcement: encodeRouteAnnouncement(ann).toString('base64') } },
      ttl: 600,
      urgency: 'high',
    });
  }
  await drained(stranger, 120_000);
  return messages;
}

/** Resolves when `node` has a live link to `peer` (its card came with the handshake: messages to it can be sealed). */
export async function linkedTo(node: PushmeshNode, peer: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!node.peers().some((p) => p.id === peer && p.connected)) {
    if (Date.now() > deadline) throw new Error(`no link to ${peer} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resolves when the node's outbox is empty (every message taken by its next hop). */
export async function drained(node: PushmeshNode, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (node.queueDepth() > 0) {
    if (Date.now() > deadline) throw new Error(`outbox still holds ${node.queueDepth()} messages after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
