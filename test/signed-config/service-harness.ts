import { Registry } from 'prom-client';
import { pino } from 'pino';
import type { NodeId } from '../../src/identity/types.js';
import { newMessageId } from '../../src/message/index.js';
import type { ConfigChannel } from '../../src/signed-config/channel.js';
import { MeshConfigRelay, SignedConfigService, TrustPolicy, type MeshSendRequest } from '../../src/signed-config/index.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { makeOwner, type TestOwner } from './fixtures.js';

/** An in-process mesh: nodes' sends land on the destination's relay, as the node's system-topic dispatch would hand them. */
export class TestMesh {
  readonly relays = new Map<NodeId, MeshConfigRelay>();
  readonly links = new Map<NodeId, Set<NodeId>>();
  readonly sent: { from: NodeId; to: NodeId }[] = [];

  /** `a` knows `b`'s card (one direction). */
  link(a: NodeId, b: NodeId): void {
    let s = this.links.get(a);
    if (!s) this.links.set(a, (s = new Set()));
    s.add(b);
  }

  send(from: NodeId, req: MeshSendRequest): void {
    const relay = this.relays.get(req.to);
    if (!relay) throw new Error(`no node ${req.to}`);
    this.sent.push({ from, to: req.to });
    queueMicrotask(() =>
      relay.receive({ id: newMessageId(), from, to: req.to, topic: req.topic, time: Date.now(), ttl: req.ttl, urgency: req.urgency, meta: {}, data: req.data }),
    );
  }
}

export interface TestService {
  node: TestOwner;
  service: SignedConfigService;
  registry: Registry;
  db: Db;
  home: string;
}

/** Reads one counter's value for the given labels (0 when never incremented). */
export async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return hit?.value ?? 0;
}

export interface StartServiceOptions {
  home: string;
  trust: Record<string, string[]>;
  channels?: ConfigChannel[];
  mesh?: TestMesh;
  node?: TestOwner;
  maxPending?: number;
}

/** A SignedConfigService on a real SQLite file in `home`, with its own registry, optionally on a TestMesh. */
export async function startService(opts: StartServiceOptions): Promise<TestService> {
  const node = opts.node ?? makeOwner();
  const db = openDatabase(opts.home);
  const registry = new Registry();
  const logger = pino({ level: 'silent' });
  let mesh: MeshConfigRelay | undefined;
  if (opts.mesh) {
    const tm = opts.mesh;
    mesh = new MeshConfigRelay({ self: node.id, logger, peers: () => [...(tm.links.get(node.id) ?? [])], send: async (req) => tm.send(node.id, req) });
    tm.relays.set(node.id, mesh);
  }
  const service = new SignedConfigService({
    identity: node,
    trust: TrustPolicy.fromConfig(opts.trust),
    db,
    registry,
    logger,
    channels: opts.channels ?? [],
    ...(mesh ? { mesh } : {}),
    ...(opts.maxPending !== undefined ? { maxPending: opts.maxPending } : {}),
  });
  await service.start();
  return { node, service, registry, db, home: opts.home };
}

export async function stopService(s: TestService): Promise<void> {
  await s.service.drain();
  if (s.db.open) s.db.close();
}

/** Resolves with the first update for (namespace, name) at version ≥ `version`, or with the current one if it is there already. */
export function updated(s: TestService, namespace: string, name: string, version: number, timeoutMs = 10_000): Promise<void> {
  const have = s.service.get(namespace, name);
  if (have && have.view.version >= version) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${namespace}/${name}@${version} within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = s.service.onUpdate((v) => {
      if (v.namespace === namespace && v.name === name && v.version >= version) {
        clearTimeout(timer);
        stop();
        resolve();
      }
    });
  });
}

/** Resolves once `name`'s counter with `labels` reaches `value`; polls the registry every few ms. */
export async function counterReaches(registry: Registry, name: string, labels: Record<string, string>, value: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await counter(registry, name, labels)) < value) {
    if (Date.now() > deadline) throw new Error(`${name}${JSON.stringify(labels)} stayed below ${value}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
