/**
 * Peer alternatives (`--peer 'URL|URL'`): the parser, and the dial loop
 * that keeps one link up to the first alternative that answers. The loop
 * runs against a scripted dialer here; test/routing/relay-failover.test.ts
 * proves the same with real processes and a killed relay.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { PushmeshError, isPushmeshError } from '../../src/errors/index.js';
import { DialLoop } from '../../src/links/dial-loop.js';
import { MAX_PEER_ALTERNATIVES, parsePeerGroup } from '../../src/links/peer-group.js';
import { builtinTransports } from '../../src/transport/registry.js';
import type { Dialer, Link, LinkClosed, PeerTarget } from '../../src/transport/types.js';
import { makeNode } from '../message/nodes.js';

const transports = builtinTransports();

describe('peer alternatives', () => {
  it('parsePeerGroup: any string gives one or more targets or ERR_CONFIG; a single URL parses as before', () => {
    const url = fc.oneof(fc.string(), fc.webUrl(), fc.string().map((s) => `grpcs://${s}`), fc.constantFrom('grpcs://h:1', 'wss://[::1]:2/ws', 'grpcs://x:3'));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(url, { minLength: 1, maxLength: 20 }).map((a) => a.join('|'))), (text) => {
        try {
          const targets = parsePeerGroup(text, transports);
          assert.ok(targets.length >= 1 && targets.length <= MAX_PEER_ALTERNATIVES);
          assert.equal(new Set(targets.map((t) => t.url)).size, targets.length);
          for (const t of targets) assert.ok(t.transport === 'grpc' || t.transport === 'wss');
        } catch (err) {
          assert.ok(isPushmeshError(err) && err.code === 'ERR_CONFIG', String(err));
        }
      }),
      { numRuns: 2000 },
    );
    const r1 = makeNode().id;
    const r2 = makeNode().id;
    assert.deepEqual(parsePeerGroup(`grpcs://${r1}@h1:15007`, transports), [{ transport: 'grpc', host: 'h1', port: 15007, expectedId: r1, url: `grpcs://${r1}@h1:15007` }]);
    assert.deepEqual(
      parsePeerGroup(`grpcs://${r1}@h1:15007|wss://${r2}@h2:15443/ws`, transports).map((t) => [t.transport, t.host, t.expectedId]),
      [['grpc', 'h1', r1], ['wss', 'h2', r2]],
    );
    assert.throws(() => parsePeerGroup('grpcs://h:1|', transports), /an alternative is empty/);
    assert.throws(() => parsePeerGroup('grpcs://h:1|grpcs://h:1', transports), /listed twice/);
    assert.throws(() => parsePeerGroup('grpcs://h:1|https://h:2', transports), /grpcs:\/\/ or wss:\/\//);
    assert.throws(() => parsePeerGroup(Array.from({ length: 17 }, (_, i) => `grpcs://h:${i + 1}`).join('|'), transports), /more than 16/);
  });

  /** A dialer whose answers the test scripts: which hosts are up, and a handle on each link it made. */
  class ScriptedDialer implements Dialer {
    readonly transport = 'grpc' as const;
    readonly up = new Set<string>();
    /** Hosts that refuse us (authentication or policy). */
    readonly refusing = new Set<string>();
    readonly dialed: string[] = [];
    readonly links: Array<{ host: string; end: (c: LinkClosed) => void }> = [];
    #waiters: Array<() => void> = [];
    async dial(target: PeerTarget): Promise<Link> {
      this.dialed.push(target.host);
      this.changed();
      if (this.refusing.has(target.host)) throw new PushmeshError('ERR_PEER_REFUSED', `${target.host} refused us`);
      if (!this.up.has(target.host)) throw new Error(`connect ECONNREFUSED ${target.host}`);
      let end!: (c: LinkClosed) => void;
      const closed = new Promise<LinkClosed>((r) => (end = r));
      this.links.push({ host: target.host, end });
      this.changed();
      return { peer: { id: target.host }, transport: 'grpc', since: Date.now(), closed } as unknown as Link;
    }
    close(): void {}
    /** Something happened: re-check what the test waits for. */
    changed(): void {
      for (const w of this.#waiters) w();
    }
    until(pred: () => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = (): void => {
          if (!pred()) return;
          this.#waiters = this.#waiters.filter((w) => w !== check);
          resolve();
        };
        this.#waiters.push(check);
        check();
      });
    }
  }

  const target = (host: string): PeerTarget => ({ transport: 'grpc', host, port: 1, url: `grpcs://${host}:1` });
  /** A started DialLoop over alternatives r1|r2 on the scripted dialer, recording the peers it linked to. */
  const startLoop = (d: ScriptedDialer, linked: string[], capMs: number): DialLoop => {
    const loop = new DialLoop({
      targets: [target('r1'), target('r2')],
      dialer: () => d,
      logger: pino({ level: 'silent' }),
      onLink: (l) => {
        linked.push(l.peer.id);
        d.changed();
      },
      backoff: { baseMs: 1, capMs },
    });
    loop.start();
    return loop;
  };

  it('DialLoop keeps ONE link, to the first alternative that answers; after it drops, starts again from the first; never switches back while up', async () => {
    const d = new ScriptedDialer();
    d.up.add('r2');
    const linked: string[] = [];
    const loop = startLoop(d, linked, 5);
    await d.until(() => linked.length === 1);
    assert.deepEqual(d.dialed, ['r1', 'r2'], 'r1 refused, r2 right after it (no backoff between alternatives)');
    assert.equal(loop.target.host, 'r2');
    assert.equal(loop.url, 'grpcs://r1:1|grpcs://r2:1');

    d.up.add('r1'); // the preferred one is back: the live link to r2 stays
    d.up.delete('r2');
    d.links[0]!.end({ reason: 'transport_error', message: 'relay killed', remote: true });
    await d.until(() => linked.length === 2);
    assert.deepEqual(linked, ['r2', 'r1']);
    assert.deepEqual(d.dialed, ['r1', 'r2', 'r1'], 'after the drop, the first alternative first');

    d.up.clear(); // nothing answers: rounds of both, with a backoff in between
    d.links[1]!.end({ reason: 'transport_error', message: 'gone', remote: true });
    await d.until(() => d.dialed.length >= 7);
    assert.deepEqual(d.dialed.slice(3, 7), ['r1', 'r2', 'r1', 'r2']);
    assert.ok(loop.lastError?.includes('ECONNREFUSED'));
    await loop.stop();
  });

  it('DialLoop: one alternative refusing does not make a broken link wait the longest backoff', async () => {
    const d = new ScriptedDialer();
    d.refusing.add('r1');
    d.up.add('r2');
    const linked: string[] = [];
    const loop = startLoop(d, linked, 3_600_000); // a wait of the cap would outlast the test
    await d.until(() => linked.length === 1);
    // r1 refused the dial, but the link to r2 just broke: a quick new round, not the cap.
    d.links[0]!.end({ reason: 'transport_error', message: 'relay killed', remote: true });
    await d.until(() => linked.length === 2);
    assert.deepEqual(d.dialed, ['r1', 'r2', 'r1', 'r2']);
    await loop.stop();
  });
});
