/**
 * Chaos through a chain of real `pushmesh run` processes, A → R1 ← R2 ← B
 * (A and B only dial out): a steady load from A's app to B's app while
 * every node is SIGKILLed and restarted at random, and B's app drops its
 * stream and comes back with `Last-Event-ID`. Every message A accepted
 * (202) must reach B's app exactly once, in the order A accepted it.
 *
 * Bounded for CI (CHAOS_SECONDS of chaos, default 25; a seeded random
 * schedule, CHAOS_SEED); run longer for a soak:
 *   CHAOS_SECONDS=600 node --test dist/test/routing/chaos.test.js
 */
import { strict as assert } from 'node:assert';
import { request, type ClientRequest } from 'node:http';
import { after, describe, it } from 'node:test';
import { PeerStore, cardFor, openIdentity } from '../../src/identity/index.js';
import { saveLogs } from '../helpers/save-logs.js';
import { SseParser } from '../helpers/sse-parser.js';
import { tempHome } from '../helpers/temp-dir.js';
import { grpcUrl, linkReady, localRequest, NodeGroup, startNode, type NodeProcess } from '../helpers/node-process.js';

const NOWHERE = 'https://127.0.0.1:9';
const CHAOS_MS = Number(process.env['CHAOS_SECONDS'] ?? 25) * 1000;
let seed = Number(process.env['CHAOS_SEED'] ?? Date.now() % 100_000);
const SEED = seed;
/** A small seeded generator (mulberry32), so a failing schedule can be run again. */
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** B's app: an SSE reader that comes back with Last-Event-ID whenever its stream ends, and records every message once per arrival. */
class App {
  readonly got: string[] = [];
  #lastSeq: string | null = null;
  #req: ClientRequest | null = null;
  #node: (() => NodeProcess | null) | null = null;
  #stopped = false;
  #waiters = new Set<() => void>();

  start(node: () => NodeProcess | null): void {
    this.#node = node;
    this.#connect();
  }

  /** Drops the stream (the app goes away for a moment); it reconnects by itself. */
  drop(): void {
    this.#req?.destroy();
  }

  stop(): void {
    this.#stopped = true;
    this.#req?.destroy();
  }

  until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out: ${what()}`));
      }, ms);
      this.#waiters.add(check);
      check();
    });
  }

  #connect(): void {
    if (this.#stopped) return;
    const node = this.#node?.();
    if (!node) {
      setTimeout(() => this.#connect(), 100);
      return;
    }
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.#lastSeq) headers['last-event-id'] = this.#lastSeq;
    // The first connection reads everything held (B may have taken messages before the app came).
    const path = this.#lastSeq ? '/msg/chaos' : '/msg/chaos?since=0';
    const req = request(`${node.local}${path}`, { headers }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return;
      }
      const parser = new SseParser();
      res.setEncoding('utf8').on('data', (chunk: string) => {
        for (const e of parser.feed(chunk)) {
          if (e.event !== 'message') continue;
          const m = JSON.parse(e.data) as { id: string; seq: number };
          this.got.push(m.id);
          this.#lastSeq = String(m.seq);
        }
        for (const w of [...this.#waiters]) w();
      });
    });
    this.#req = req;
    const again = (): void => {
      if (this.#req !== req) return;
      this.#req = null;
      setTimeout(() => this.#connect(), 50 + random() * 200);
    };
    req.on('error', again);
    req.on('close', again);
    req.end();
  }
}

describe('chaos: every node SIGKILLed and restarted at random under load (A → R1 ← R2 ← B)', { timeout: 400_000 }, () => {
  const group = new NodeGroup();
  after(() => group.stopAll());

  it(`every message A accepted reaches B's app exactly once, in order (seed ${SEED})`, { timeout: 380_000 }, async (t) => {
    const names = ['a', 'r1', 'r2', 'b'] as const;
    type Name = (typeof names)[number];
    const homes = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await tempHome(t)] as const))) as Record<Name, string>;
    const idA = (await openIdentity(homes.a)).identity;
    const idB = (await openIdentity(homes.b)).identity;
    await new PeerStore(homes.a).add(cardFor(idB, NOWHERE));

    const listen = ['--local', '127.0.0.1:0', '--https', '127.0.0.1:0', '--grpc', '127.0.0.1:0'];
    const hidden = ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--advertise', NOWHERE];
    const nodes: Record<Name, NodeProcess | null> = { a: null, r1: null, r2: null, b: null };
    const args: Partial<Record<Name, string[]>> = {};
    const start = async (n: Name): Promise<NodeProcess> => {
      const p = group.track(await startNode(homes[n], args[n]!, 60_000));
      nodes[n] = p;
      return p;
    };
    args.r1 = listen;
    const r1 = await start('r1');
    args.r1 = [...listen, '--grpc', r1.grpc!]; // restarts keep the address the others dial
    args.r2 = [...listen, '--peer', grpcUrl(r1)];
    const r2 = await start('r2');
    args.r2 = [...args.r2, '--grpc', r2.grpc!];
    args.a = [...hidden, '--peer', grpcUrl(r1)];
    args.b = [...hidden, '--peer', grpcUrl(r2)];
    const [a, b] = [await start('a'), await start('b')];
    await Promise.all([linkReady(r1, r2), linkReady(r1, a), linkReady(r2, b)]);
    await r1.waitForLog((l) => l['msg'] === 'learned routes' && l['peer'] === r2.id && Number(l['routes']) >= 1, 60_000);
    assert.equal(a.id, idA.id);

    const app = new App();
    app.start(() => nodes.b);
    t.after(() => app.stop());

    // The load: A's app sends as fast as A takes them (one at a time); what A refuses or cannot be reached for is not counted.
    const accepted: string[] = [];
    let loading = true;
    let n = 0;
    const load = (async () => {
      while (loading) {
        const node = nodes.a;
        if (!node) {
          await sleep(20);
          continue;
        }
        try {
          const r = await localRequest(node, 'POST', `/msg/chaos?to=${idB.id}&ttl=600`, { n: n++ });
          if (r.status === 202) accepted.push((r.json as { id: string }).id);
          else await sleep(20);
        } catch {
          await sleep(20); // A is down
        }
      }
    })();

    // The chaos: SIGKILL a random node, restart it after a short while; now and then the app drops its stream.
    const kills: string[] = [];
    const deadline = Date.now() + CHAOS_MS;
    // At least 5 kills however slowly a busy machine restarts nodes (bounded: three times the planned length).
    const hardDeadline = Date.now() + 3 * CHAOS_MS;
    try {
      while (Date.now() < deadline || (kills.length < 5 && Date.now() < hardDeadline)) {
        await sleep(800 + random() * 1500);
        if (random() < 0.3) app.drop();
        const victim = names[Math.floor(random() * names.length)]!;
        const p = nodes[victim]!;
        nodes[victim] = null;
        await p.stop('SIGKILL');
        kills.push(victim);
        await sleep(random() * 800);
        await start(victim);
      }
    } finally {
      loading = false;
      await load;
    }
    t.diagnostic(`seed ${SEED}: ${accepted.length} messages accepted, kills: ${kills.join(' ')}`);
    assert.ok(accepted.length > 50, `the load ran (${accepted.length} accepted)`);
    assert.ok(kills.length >= 5, 'the chaos ran');

    // Everything up again: every accepted message reaches B's app.
    const want = new Set(accepted);
    const arrived = (): number => new Set(app.got.filter((id) => want.has(id))).size;
    await app.until(() => arrived() === want.size, 180_000, () => `${arrived()} of ${want.size} accepted messages at B's app`).catch(async (err: unknown) => {
      await saveLogs('chaos', { a: nodes.a!, r1: nodes.r1!, r2: nodes.r2!, b: nodes.b! } as never);
      throw err;
    });
    const got = app.got.filter((id) => want.has(id));
    const seen = new Set<string>();
    const dups = got.filter((id) => seen.has(id) || !seen.add(id));
    if (dups.length > 0 || got.join() !== accepted.join()) await saveLogs('chaos', { a: nodes.a!, r1: nodes.r1!, r2: nodes.r2!, b: nodes.b! } as never);
    assert.deepEqual(dups, [], `each once (duplicates: ${dups.map((id) => `${id} at positions ${got.flatMap((g, i) => (g === id ? [i] : [])).join('/')} of ${got.length}`).join(', ')})`);
    assert.deepEqual(got, accepted, 'in the order A accepted them');
  });
});
