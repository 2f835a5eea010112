/**
 * Issue 13, point 7 / Build 6: after a peer reachable only by HTTPS comes
 * back, what waits for it goes within a couple of seconds of it showing
 * it is back (a message from it arrives), not at the end of the retry
 * backoff (≈ 30 s seen before; up to 60 s). Real nodes in this process:
 * A queues messages for B while B is stopped, until A's next retry is
 * at least 6 s away; B restarts on the same address and sends A one
 * message; B's app must have all of A's messages before A's retry was
 * due, and within 2 s of A receiving B's message. Measured by events
 * (A's retry log line, A's bus, B's bus), not sleeps.
 */
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { defaultConfig, type NodeConfig } from '../../src/config/index.js';
import type { Message } from '../../src/message/types.js';
import { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { introduce } from '../helpers/in-process-node.js';
import { tempHome } from '../helpers/temp-dir.js';

/** The retry lines A logs ("delivery failed; will retry", with its delay). */
function retryLog(): { logger: pino.Logger; next(match: (l: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown> & { at: number }> } {
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown> & { at: number }) => void }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        const l = JSON.parse(line) as Record<string, unknown>;
        if (l['msg'] !== 'delivery failed; will retry') continue;
        for (const w of waiters.splice(0)) {
          if (w.match(l)) w.resolve({ ...l, at: Date.now() });
          else waiters.push(w);
        }
      }
      done();
    },
  });
  return {
    logger: pino({ level: 'debug' }, stream),
    next: (match, ms) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching retry within ${ms} ms`)), ms);
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      }),
  };
}

function onBus(node: PushmeshNode, match: (m: Message) => boolean, count: number, ms: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const timer = setTimeout(() => reject(new Error(`${what}: ${n} of ${count} within ${ms} ms`)), ms);
    const on = (ev: { message: Message }): void => {
      if (!match(ev.message) || ++n < count) return;
      clearTimeout(timer);
      node.bus.off('published', on);
      resolve(Date.now());
    };
    node.bus.on('published', on);
  });
}

describe('fast recovery of a peer reachable only by HTTPS', { timeout: 120_000 }, () => {
  it('its waiting messages go as soon as a message from it arrives, not at the next backoff tick', { timeout: 100_000 }, async (t) => {
    const config = (home: string, port = 0): NodeConfig => ({
      ...defaultConfig(home),
      local: { host: '127.0.0.1', port: 0 },
      https: { host: '127.0.0.1', port },
      grpc: null,
      logLevel: 'silent',
    });
    const quiet = pino({ level: 'silent' });
    const log = retryLog();
    const [homeA, homeB] = [await tempHome(t), await tempHome(t)];
    const a = await PushmeshNode.start(config(homeA), log.logger);
    t.after(() => a.close());
    let b = await PushmeshNode.start(config(homeB), quiet);
    const bPort = b.addresses.https!.port;
    await introduce(a, b);
    await b.close();

    // A queues five messages for B, which is away: A retries with a growing backoff, until the next retry is ≥ 6 s away.
    const COUNT = 5;
    const first = await a.send({ to: b.id, topic: 'waiting', data: { kind: 'json', value: 0 }, ttl: 600, urgency: 'normal' });
    for (let i = 1; i < COUNT; i++) await a.send({ to: b.id, topic: 'waiting', data: { kind: 'json', value: i }, ttl: 600, urgency: 'normal' });
    const long = await log.next((l) => l['msg_id'] === first.id && Number(l['delay']) >= 6_000, 60_000);
    const retryDueAt = long.at + Number(long['delay']);

    // B comes back on the same address and says something to A.
    let bLive: PushmeshNode | null = null;
    t.after(() => bLive?.close());
    b = await PushmeshNode.start(config(homeB, bPort), quiet);
    bLive = b;
    const allAtB = onBus(b, (m) => m.topic === 'waiting', COUNT, 30_000, "A's messages at B");
    const hello = onBus(a, (m) => m.topic === 'hello', 1, 10_000, "B's message at A");
    await b.send({ to: a.id, topic: 'hello', data: { kind: 'json', value: 'back' }, ttl: 600, urgency: 'normal' });
    const heardAt = await hello;
    const doneAt = await allAtB;
    assert.ok(doneAt - heardAt < 2_000, `A's backlog reached B ${doneAt - heardAt} ms after B's message reached A`);
    assert.ok(doneAt < retryDueAt, `before A's next retry was due (${retryDueAt - doneAt} ms early)`);
  });
});
