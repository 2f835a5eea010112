import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { ConfigChannel } from '../../src/signed-config/channel.js';
import { signConfig } from '../../src/signed-config/index.js';
import { makeOwner } from './fixtures.js';

/** What a ConfigChannel implementation gives the shared suite. */
export interface ChannelUnderTest {
  /** A new channel onto the same backend (a node joining), e.g. a new NATS connection. */
  open(): Promise<ConfigChannel>;
  /** Closes everything `open` made and the backend (if the suite started it). */
  close(): Promise<void>;
}

/** Collects what a subscription delivers, and waits for a condition on it (no fixed sleeps). */
export class Received {
  readonly items: string[] = [];
  #waiters: (() => void)[] = [];

  push = (jws: string): void => {
    this.items.push(jws);
    for (const w of this.#waiters.splice(0)) w();
  };

  async until(cond: (items: string[]) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond(this.items)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.items.length} items`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/**
 * The behaviour every ConfigChannel must have, run against a real
 * backend: delivery to other subscribers, the latest config per
 * (namespace, name) for late joiners, junk not breaking the pipe, and
 * subscriptions that end when their signal aborts.
 * Use: `describeConfigChannel('NATS JetStream', async () => ({ open, close }))`.
 */
export function describeConfigChannel(name: string, setup: () => Promise<ChannelUnderTest>): void {
  describe(`ConfigChannel compliance: ${name}`, { timeout: 120_000 }, () => {
    const owner = makeOwner();
    const ns = `c${Math.random().toString(36).slice(2, 10)}`;
    const sign = (cfgName: string, version: number): Promise<string> => signConfig({ namespace: ns, name: cfgName, version, data: { version } }, owner.privateKey);
    let backend: ChannelUnderTest;
    const aborts: AbortController[] = [];
    const subscribe = async (ch: ConfigChannel): Promise<{ got: Received; stop: AbortController }> => {
      const got = new Received();
      const stop = new AbortController();
      aborts.push(stop);
      void ch.subscribe(got.push, stop.signal).catch(() => undefined);
      return { got, stop };
    };

    before(async () => {
      backend = await setup();
    });
    after(async () => {
      for (const a of aborts) a.abort();
      await backend?.close();
    });

    it('a config published on one channel reaches a subscriber on another, unchanged', async () => {
      const [a, b] = [await backend.open(), await backend.open()];
      assert.equal(typeof a.name, 'string');
      const { got } = await subscribe(b);
      const jws = await sign('live', 1);
      // The subscription may take a moment to be in place: publish until it shows up.
      await publishUntil(a, jws, got);
      assert.ok(got.items.includes(jws));
    });

    it('a late joiner gets the latest config per (namespace, name), not superseded ones', async () => {
      const a = await backend.open();
      const x1 = await sign('x', 1);
      const x2 = await sign('x', 2);
      const y1 = await sign('y', 1);
      for (const jws of [x1, x2, y1]) await a.publish(jws);
      const late = await backend.open();
      const { got } = await subscribe(late);
      await got.until((items) => items.includes(x2) && items.includes(y1), 'the retained x@2 and y@1');
      assert.ok(!got.items.includes(x1), 'x@1 was superseded by x@2');
    });

    it('junk on the pipe does not stop good configs (pipes are untrusted; receivers verify)', async () => {
      const [a, b] = [await backend.open(), await backend.open()];
      const { got } = await subscribe(b);
      await a.publish('not a jws').catch(() => undefined);
      const good = await sign('after-junk', 1);
      await publishUntil(a, good, got);
    });

    it('a subscription ends when its signal aborts', async () => {
      const [a, b, c] = [await backend.open(), await backend.open(), await backend.open()];
      const first = await subscribe(b);
      const second = await subscribe(c);
      const warmup = await sign('abort', 1);
      await publishUntil(a, warmup, first.got);
      await second.got.until((items) => items.includes(warmup), 'warm-up on the second subscriber');
      first.stop.abort();
      const later = await sign('abort', 2);
      await a.publish(later);
      await second.got.until((items) => items.includes(later), 'the later config on the live subscriber');
      assert.ok(!first.got.items.includes(later), 'the aborted subscription got nothing after the abort');
    });
  });
}

/** Publishes `jws` (again, every half second) until `got` has it. */
async function publishUntil(ch: ConfigChannel, jws: string, got: Received): Promise<void> {
  for (let i = 0; i < 40 && !got.items.includes(jws); i++) {
    await ch.publish(jws);
    await got.until((items) => items.includes(jws), 'delivery', 500).catch(() => undefined);
  }
  assert.ok(got.items.includes(jws), 'config never delivered');
}
