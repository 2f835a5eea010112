import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { NodeId } from '../identity/types.js';
import type { Message, Payload, Urgency } from '../message/types.js';
import { CONFIG_TOPIC } from './names.js';

/** What the relay asks of the node to send one message (a subset of the node's SendRequest). */
export interface MeshSendRequest {
  to: NodeId;
  topic: string;
  data: Payload;
  ttl: number;
  urgency: Urgency;
  replace: string;
}

export interface MeshConfigRelayOptions {
  /** This node's ID (never sent to). */
  self: NodeId;
  /** Node IDs whose cards this node knows (read when a config is sent, so peers added at run time count). */
  peers: () => NodeId[] | Promise<NodeId[]>;
  /** The node's own send: encrypt, sign (VAPID), queue durably. */
  send: (req: MeshSendRequest) => Promise<unknown>;
  logger: Logger;
  /** TTL of config messages, seconds; default 7 days. */
  ttl?: number;
}

export interface MeshPublishResult {
  sent: number;
  failed: number;
  /** The reason of the last failure, for the log. */
  lastError?: string;
}

/**
 * Carries signed configs over the mesh: as ordinary end-to-end encrypted,
 * VAPID-signed messages with topic `pushmesh.config` and the compact JWS
 * as text data, to every peer whose card this node knows. The node's
 * outbox keeps them (durably, within the TTL) for peers that are offline,
 * and the RFC 8030 Topic `replace` key (one per namespace and name) lets
 * a newer version replace an undelivered older one. Incoming config
 * messages (handed over by the node's system-topic dispatch, whatever
 * transport brought them; apps never see them) go to `onConfig` with the
 * sender's ID; the pipe is never trusted.
 */
export class MeshConfigRelay {
  readonly name = 'mesh';
  readonly #opts: MeshConfigRelayOptions;
  readonly #ttl: number;
  readonly #listeners = new Set<(m: Message) => void>();

  constructor(opts: MeshConfigRelayOptions) {
    this.#opts = opts;
    this.#ttl = opts.ttl ?? 7 * 24 * 3600;
  }

  /** Sends `jws` to every known peer except `exclude` (and this node). */
  async publish(jws: string, address: { namespace: string; name: string }, exclude: ReadonlySet<NodeId> = new Set()): Promise<MeshPublishResult> {
    const replace = replaceKey(address.namespace, address.name);
    let known: NodeId[];
    try {
      known = await this.#opts.peers();
    } catch (err) {
      return { sent: 0, failed: 1, lastError: `cannot list peers: ${(err as Error).message}` };
    }
    const targets = known.filter((id) => id !== this.#opts.self && !exclude.has(id));
    const result: MeshPublishResult = { sent: 0, failed: 0 };
    await Promise.all(
      targets.map(async (to) => {
        try {
          await this.#opts.send({ to, topic: CONFIG_TOPIC, data: { kind: 'text', value: jws }, ttl: this.#ttl, urgency: 'normal', replace });
          result.sent++;
        } catch (err) {
          result.failed++;
          result.lastError = (err as Error).message;
        }
      }),
    );
    return result;
  }

  /** A `pushmesh.config` message reached this node (the node's system-topic dispatch calls this). */
  receive(m: Message): void {
    for (const l of this.#listeners) l(m);
  }

  /** Calls `onConfig(jws, from)` for every config message the node receives, until `signal` aborts. */
  listen(onConfig: (jws: string, from: NodeId) => void, signal: AbortSignal): void {
    const { logger } = this.#opts;
    const handler = (m: Message): void => {
      if (m.topic !== CONFIG_TOPIC) return;
      const jws = jwsFrom(m.data);
      if (jws === undefined) {
        logger.info({ from: m.from, kind: m.data.kind }, 'config message without a JWS text; ignored');
        return;
      }
      onConfig(jws, m.from);
    };
    if (signal.aborted) return;
    this.#listeners.add(handler);
    signal.addEventListener('abort', () => this.#listeners.delete(handler), { once: true });
  }
}

function jwsFrom(data: Payload): string | undefined {
  if (data.kind === 'text') return data.value.trim();
  if (data.kind === 'json' && typeof data.value === 'string') return data.value.trim();
  if (data.kind === 'bytes') return Buffer.from(data.value).toString('latin1').trim();
  return undefined;
}

/** RFC 8030 Topic for config messages of one (namespace, name): 32 base64url characters. */
export function replaceKey(namespace: string, name: string): string {
  return createHash('sha256').update(`pushmesh.config/${namespace}/${name}`).digest('base64url').slice(0, 32);
}
