/**
 * The messages handed to an app in one event-loop turn leave in one
 * socket write (docs/local-api.md): over SSE one write holding every
 * event, each still its own `id:`/`data:` event; over the app WebSocket
 * one write holding every frame, each still its own message frame. A
 * burst larger than one write's worth arrives complete and in order.
 * A real node in this process; the app side is a raw TCP socket, and the
 * node's writes to it are counted.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { connect, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { newMessageId } from '../../src/message/index.js';
import type { Message } from '../../src/message/types.js';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { SseParser } from '../helpers/sse-parser.js';
import type { CleanupScope } from '../helpers/temp-dir.js';

/** A raw connection that keeps every chunk it reads, and wakes waiters on each. */
class RawClient {
  readonly chunks: Buffer[] = [];
  readonly socket: Socket;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      const w = this.#waiters;
      this.#waiters = [];
      for (const f of w) f();
    });
  }

  static async open(base: string, request: string): Promise<RawClient> {
    const url = new URL(base);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(request.replaceAll('HOST', url.host));
    return new RawClient(socket);
  }

  get all(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Waits until `ok` holds for what was read so far (checked on each read). */
  async until(ok: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** Server → client WebSocket frames (unmasked) in `buf`: text payloads, as far as complete. */
function wsTexts(buf: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at + 2 <= buf.length) {
    const op = buf[at]! & 0x0f;
    let len = buf[at + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      if (at + 4 > buf.length) break;
      len = buf.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      if (at + 10 > buf.length) break;
      len = Number(buf.readBigUInt64BE(at + 2));
      head = 10;
    }
    if (at + head + len > buf.length) break;
    assert.equal(buf[at]! & 0x80, 0x80, 'one frame per message (FIN set)');
    if (op === 1) out.push(buf.subarray(at + head, at + head + len).toString('utf8'));
    at += head + len;
  }
  return out;
}

/**
 * Counts the socket writes the node makes to `client`'s connection (the
 * server side of it: its ports reversed) until `stop()`. In this process
 * the client reads only after the node's turn, so its reads cannot tell
 * one write from twenty; the writes themselves can.
 */
function countWrites(client: Socket): { stop(): number } {
  type WriteFn = (this: Socket, ...args: unknown[]) => unknown;
  const proto = Socket.prototype as unknown as { _write: WriteFn; _writev: WriteFn };
  const write = proto._write;
  const writev = proto._writev;
  let n = 0;
  const toClient = (s: Socket): boolean => s.remotePort === client.localPort && s.localPort === client.remotePort;
  proto._write = function (this: Socket, ...args: unknown[]) {
    if (toClient(this)) n++;
    return write.apply(this, args);
  };
  proto._writev = function (this: Socket, ...args: unknown[]) {
    if (toClient(this)) n++;
    return writev.apply(this, args);
  };
  return {
    stop() {
      proto._write = write;
      proto._writev = writev;
      return n;
    },
  };
}

function sseData(text: string): { id?: string; data: string }[] {
  return new SseParser().feed(text).filter((e) => e.event === 'message');
}

describe('messages of one turn reach an app in one write', { timeout: 60_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const scope: CleanupScope = { after: (fn) => void cleanups.push(fn) };
  let node: PushmeshNode;
  before(async () => {
    node = await startInProcessNode(scope);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  /** Hands `n` messages on `topic` to the apps, all in this turn; their ids in order. */
  function publishBurst(topic: string, n: number, pad = 0): string[] {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const m: Message = { id: newMessageId(), from: node.identity.id, to: '', topic, time: Date.now(), ttl: 60, urgency: 'normal', meta: { i: String(i) }, data: { kind: 'json', value: { i, pad: 'p'.repeat(pad) } } };
      ids.push(m.id);
      node.bus.publish(m);
    }
    return ids;
  }

  it('SSE: twenty events of one turn in one read, each its own event with its id, in order', async () => {
    const c = await RawClient.open(localUrl(node), 'GET /msg/sse-turn HTTP/1.1\r\nHost: HOST\r\nAccept: text/event-stream\r\n\r\n');
    cleanups.push(() => c.socket.destroy());
    await c.until(() => c.all.toString().includes(': pushmesh stream\n\n'), 'the stream to open');
    const before = c.chunks.length;
    const writes = countWrites(c.socket);
    const ids = publishBurst('sse-turn', 20);
    await c.until(() => c.all.toString().includes(ids.at(-1)!), 'the last event');
    assert.equal(writes.stop(), 1, 'one socket write');
    const chunks = c.chunks.slice(before);
    const events = sseData(Buffer.concat(chunks).toString('utf8'));
    const got = events.map((e) => JSON.parse(e.data) as { id: string; seq: number; meta: { i: string } });
    assert.deepEqual(got.map((m) => m.id), ids);
    assert.deepEqual(got.map((m) => m.meta.i), ids.map((_, i) => String(i)));
    for (const [i, e] of events.entries()) assert.equal(e.id, String(got[i]!.seq), 'id: line = seq');
    for (let i = 1; i < got.length; i++) assert.ok(got[i]!.seq > got[i - 1]!.seq, 'seq grows');
  });

  it('SSE: a burst larger than one write arrives complete, in order, each event once; Last-Event-ID resumes after any of them', async () => {
    const c = await RawClient.open(localUrl(node), 'GET /msg/sse-big HTTP/1.1\r\nHost: HOST\r\nAccept: text/event-stream\r\n\r\n');
    cleanups.push(() => c.socket.destroy());
    await c.until(() => c.all.toString().includes(': pushmesh stream\n\n'), 'the stream to open');
    const ids = publishBurst('sse-big', 300, 1024); // ≈ 330 KiB: several writes
    await c.until(() => c.all.toString().includes(ids.at(-1)!), 'the last event');
    const events = sseData(c.all.toString('utf8').slice(c.all.toString('utf8').indexOf(': pushmesh stream\n\n')));
    const got = events.map((e) => JSON.parse(e.data) as { id: string; seq: number });
    assert.deepEqual(got.map((m) => m.id), ids);
    // Resume from the middle of the burst: exactly the rest, in order.
    const mid = events[149]!.id!;
    const r = await RawClient.open(localUrl(node), `GET /msg/sse-big HTTP/1.1\r\nHost: HOST\r\nAccept: text/event-stream\r\nLast-Event-ID: ${mid}\r\n\r\n`);
    cleanups.push(() => r.socket.destroy());
    await r.until(() => r.all.toString().includes(ids.at(-1)!), 'the replay');
    const replayed = sseData(r.all.toString('utf8')).map((e) => (JSON.parse(e.data) as { id: string }).id);
    assert.deepEqual(replayed, ids.slice(150));
  });

  it('WebSocket: twenty messages of one turn in one read, one frame each, in order', async () => {
    const key = randomBytes(16).toString('base64');
    const c = await RawClient.open(
      localUrl(node),
      `GET /ws?topic=ws-turn HTTP/1.1\r\nHost: HOST\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    cleanups.push(() => c.socket.destroy());
    await c.until(() => c.all.includes('\r\n\r\n'), 'the upgrade');
    assert.match(c.all.toString('latin1'), /^HTTP\/1\.1 101 /);
    const headerEnd = c.all.indexOf('\r\n\r\n') + 4;
    assert.equal(c.all.length, headerEnd, 'nothing but the upgrade yet');
    const writes = countWrites(c.socket);
    const ids = publishBurst('ws-turn', 20);
    await c.until(() => wsTexts(c.all.subarray(headerEnd)).length === ids.length, 'twenty frames');
    assert.equal(writes.stop(), 1, 'one socket write');
    const frames = wsTexts(c.all.subarray(headerEnd)).map((t) => JSON.parse(t) as { type: string; id: string; meta: { i: string } });
    assert.deepEqual(frames.map((f) => f.type), ids.map(() => 'message'));
    assert.deepEqual(frames.map((f) => f.id), ids);
    assert.deepEqual(frames.map((f) => f.meta.i), ids.map((_, i) => String(i)));
  });

  it('WebSocket: a burst larger than one write arrives complete and in order', async () => {
    const key = randomBytes(16).toString('base64');
    const c = await RawClient.open(
      localUrl(node),
      `GET /ws?topic=ws-big HTTP/1.1\r\nHost: HOST\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    cleanups.push(() => c.socket.destroy());
    await c.until(() => c.all.includes('\r\n\r\n'), 'the upgrade');
    const headerEnd = c.all.indexOf('\r\n\r\n') + 4;
    const ids = publishBurst('ws-big', 300, 1024);
    await c.until(() => wsTexts(c.all.subarray(headerEnd)).length === ids.length, 'every frame');
    assert.deepEqual(wsTexts(c.all.subarray(headerEnd)).map((t) => (JSON.parse(t) as { id: string }).id), ids);
  });
});
